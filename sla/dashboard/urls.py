from django.urls import path

from . import views

app_name = "sla-dashboard"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.csv", views.dashboard_csv, name="csv"),
]
