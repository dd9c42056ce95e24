"""URLs of the cases app: the records (intake, list, case page, corrections, access log) and the
procedure (its steps, Tugas Saya, the dashboard, the printed Alur Penanganan). Importing the
views registers the case-page sections and the home panels."""

from django.urls import path

from .views import procedure, records

app_name = "cases"

urlpatterns = [
    path("", records.case_list, name="list"),
    path("new/", records.case_create, name="create"),
    path("<int:pk>/", records.case_detail, name="detail"),
    path("<int:pk>/edit/", records.case_edit, name="edit"),
    path("<int:pk>/history/", records.case_history, name="history"),
    path("access-log/", records.access_log, name="access_log"),
    path("<int:pk>/act/<slug:action>/", procedure.act, name="act"),
    path("tasks/", procedure.tasks, name="tasks"),
    path("dashboard/", procedure.dashboard, name="dashboard"),
    path("procedure/", procedure.procedure, name="procedure"),
    path("procedure/pdf/", procedure.procedure_pdf, name="procedure_pdf"),
]
