from django.urls import path

from . import views

app_name = "joining"

urlpatterns = [
    path("join/", views.join, name="join"),
    path("setup/", views.setup_home, name="setup_home"),
    path("setup/<int:pk>/", views.setup, name="setup"),
    path("setup/<int:pk>/<slug:step>/", views.step, name="step"),
    path("kota/<str:code>/emblem/", views.emblem, name="emblem"),
]
