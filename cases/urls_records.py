"""URLs of the case records (intake, list, case page, corrections, access log)."""

from django.urls import path

from .views import records

urlpatterns = [
    path("", records.case_list, name="list"),
    path("new/", records.case_create, name="create"),
    path("<int:pk>/", records.case_detail, name="detail"),
    path("<int:pk>/edit/", records.case_edit, name="edit"),
    path("access-log/", records.access_log, name="access_log"),
]
