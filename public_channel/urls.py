from django.urls import path

from . import views

app_name = "public"

urlpatterns = [
    # Public, neutral URLs: no login, no cookie, no-store (public_channel/middleware.py).
    path("layanan/", views.chooser, name="chooser"),
    path("layanan/cek/", views.status, name="status"),
    path("layanan/<slug:code>/", views.form, name="form"),
    path("layanan/<slug:code>/darurat/", views.emergency, name="emergency"),
    path("layanan/<slug:code>/privasi/", views.privacy, name="privacy"),
    # The coordinator's queue ("Masuk dari publik") and the poster.
    path("publik/", views.queue, name="queue"),
    path("publik/<int:pk>/", views.detail, name="detail"),
    path("publik/<int:pk>/<str:action>/", views.step, name="step"),
    path("publik/poster/<slug:code>/", views.poster, name="poster"),
]
