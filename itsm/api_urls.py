"""The REST API, version 1: the core routes, then what each practice app registered (records.registry)."""

from django.urls import include, path, re_path

from core.api.views import api_not_found
from records.urls import api_patterns

urlpatterns = [
    path("", include("core.api.urls")),
    *api_patterns(),  # the practice apps' routes, as they registered them (records.registry)
    re_path(r"^.*/$", api_not_found),  # last: unknown API paths answer JSON (slash-less ones get APPEND_SLASH)
]
