"""The pages and API routes practice apps registered (records.registry), mounted by itsm/urls.py and itsm/api_urls.py:
URL patterns are read after every app is ready, so the registrations are all in by then."""

from django.urls import include, path

from . import registry


def page_patterns():
    return [path(prefix, include(module, namespace=namespace) if namespace else include(module))
            for prefix, module, namespace in registry.URLS]


def api_patterns():
    return [path("", include(module)) for module in registry.API_URLS]
