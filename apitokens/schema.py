"""How the OpenAPI schema describes personal tokens (drf-spectacular needs an extension per authentication class)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apitokens.authentication.ApiTokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (itsm_…) from the preferences page or POST /api/v1/tokens/; "
                           "`Token itsm_…` works too. It needs `read` or `write` by the method and the scope of "
                           "the practice (incidents, cmdb, sla, …); a missing scope answers 403 naming it.",
        }
