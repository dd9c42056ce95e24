"""URLs of the case procedure (cases/workflow.py). Importing the views registers the case-page
sections and the home panel."""

from django.urls import path

from .views import procedure as views

urlpatterns = [
    path("<int:pk>/act/<slug:action>/", views.act, name="act"),
    path("tasks/", views.tasks, name="tasks"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("procedure/", views.procedure, name="procedure"),
    path("procedure/pdf/", views.procedure_pdf, name="procedure_pdf"),
]
