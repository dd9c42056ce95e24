from django.urls import path

from . import views

app_name = "mechanism"

urlpatterns = [
    path("", views.index, name="index"),
    path("<str:code>/", views.versions, name="versions"),
    path("<str:code>/new/", views.new_draft, name="new"),
    path("<str:code>/<int:number>/", views.detail, name="detail"),
    path("<str:code>/<int:number>/edit/", views.edit, name="edit"),
    path("<str:code>/<int:number>/trial/", views.start_trial, name="trial"),
    path("<str:code>/<int:number>/enact/", views.enact, name="enact"),
    path("<str:code>/<int:number>/scan/", views.scan, name="scan"),
    path("<str:code>/<int:number>/procedure.pdf", views.procedure_pdf, name="procedure_pdf"),
]
