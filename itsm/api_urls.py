"""The REST API, version 1: each practice registers its routes here."""

from django.urls import include, path, re_path

from core.api.views import api_not_found
from records.urls import api_patterns

urlpatterns = [
    path("", include("core.api.urls")),
    path("", include("servicedesk.api.urls")),
    path("", include("incidents.api.urls")),
    path("", include("sla.api.urls")),
    path("", include("sla.dashboard.api_urls")),
    path("", include("cmdb.api.urls")),
    path("", include("apitokens.api.urls")),
    *api_patterns(),  # what practice apps registered (records.registry)
    re_path(r"^.*/$", api_not_found),  # last: unknown API paths answer JSON (slash-less ones get APPEND_SLASH)
]
