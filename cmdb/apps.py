from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The CMDB's choice sets as named OpenAPI components (two of them are on fields called "state", like incidents').
SCHEMA_ENUMS = {
    "CILifecycleEnum": "cmdb.choices.Lifecycle",
    "ImportJobStateEnum": "cmdb.choices.ImportState",
    "ImportOutcomeEnum": "cmdb.choices.ImportOutcome",
    "AttributeTypeEnum": "cmdb.choices.AttributeType",
}


class CmdbConfig(AppConfig):
    name = "cmdb"
    verbose_name = _("Configuration management")

    def ready(self):
        # Registered here rather than listed in settings: the app plugs itself in (see CONVENTIONS, "The house").
        from django.conf import settings

        overrides = settings.SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})
        for name, path in SCHEMA_ENUMS.items():
            overrides.setdefault(name, path)

        from apitokens.scopes import register_scope

        register_scope("cmdb", _("CMDB"), _("Configuration items, classes and relationships."))
