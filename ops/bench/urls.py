from django.urls import path

from . import views

urlpatterns = [path("_bench/bare/", views.bare, name="bench_bare")]
