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
        from records.registry import MenuEntry, register_api, register_menu, register_schema_enums, register_urls

        register_schema_enums(SCHEMA_ENUMS)
        register_urls("cmdb/", "cmdb.urls")
        register_api("cmdb.api.urls")
        register_menu(MenuEntry(_("CMDB"), _("CMDB"), "cmdb:list", order=50))

        from apitokens.scopes import register_scope

        register_scope("cmdb", _("CMDB"), _("Configuration items, classes and relationships."))
