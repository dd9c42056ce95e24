from django.urls import path

from . import views

app_name = "attachments"

urlpatterns = [
    path("cases/<int:case_pk>/attachments/", views.case_attachments, name="case"),
    path("attachments/<int:pk>/download/", views.download, name="download"),
]
