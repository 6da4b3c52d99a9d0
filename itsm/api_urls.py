"""The REST API, version 1: each practice registers its routes here."""

from django.urls import include, path

urlpatterns = [
    path("", include("core.api.urls")),
    path("", include("servicedesk.api.urls")),
    path("", include("incidents.api.urls")),
]
