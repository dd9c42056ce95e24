from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("simfoni/<slug:fmt>/", views.simfoni, name="simfoni"),
    path("monthly/", views.monthly, name="monthly"),
    path("monthly/pdf/", views.monthly_pdf, name="monthly_pdf"),
    path("<slug:section>/", views.section, name="section"),
    path("<slug:section>/export/<slug:fmt>/", views.export, name="export"),
]
