from django.urls import path

from . import views

app_name = "outreach"

urlpatterns = [
    path("", views.activity_list, name="list"),
    path("new/", views.activity_new, name="new"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/photos/", views.photo_add, name="photo_add"),
    path("photos/<int:pk>/", views.photo_download, name="photo"),
]
