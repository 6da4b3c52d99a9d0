"""/api/v1/sla/dashboard/ (included from itsm.api_urls)."""

from django.urls import path

from . import api

urlpatterns = [
    path("sla/dashboard/", api.SLADashboardView.as_view(), name="sla-dashboard-api"),
]
