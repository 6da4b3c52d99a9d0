from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiTokensConfig(AppConfig):
    """Personal API tokens; the scope registry is apitokens.scopes (practices add theirs in their ready())."""

    name = "apitokens"
    verbose_name = _("API tokens")

    def ready(self):
        from records.registry import register_api

        from . import schema  # noqa: F401 - registers the OpenAPI description of the token authentication

        register_api("apitokens.api.urls")
