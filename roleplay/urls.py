from django.urls import path

from . import views

app_name = "roleplay"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/participants/", views.participants, name="participants"),
    path("<int:pk>/start/", views.start, name="start"),
    path("<int:pk>/open/", views.open_card, name="open"),
    path("<int:pk>/end/", views.end, name="end"),
    path("<int:pk>/notes/", views.note, name="note"),
    path("<int:pk>/debrief/", views.debrief, name="debrief"),
    path("<int:pk>/debrief.pdf", views.debrief_pdf, name="debrief_pdf"),
    path("notes/<int:note_id>/apply/", views.apply, name="apply"),
]
