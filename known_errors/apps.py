from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnownErrorsConfig(AppConfig):
    name = "known_errors"
    verbose_name = _("Known errors")

    def ready(self):
        from apitokens.scopes import register_scope
        from records.registry import (
            MenuEntry,
            RecordKind,
            register_api,
            register_kind,
            register_menu,
            register_schema_enums,
            register_seeder,
            register_urls,
        )

        from .workflow import WORKFLOW

        register_kind(RecordKind(key="known_error", prefix="KE", model_label="known_errors.KnownError",
                                 workflow=WORKFLOW, desk_url="known_errors:detail", portal_url=None,
                                 api_scope="known_errors"))
        register_urls("desk/known-errors/", "known_errors.urls", "known_errors")
        register_api("known_errors.api.urls")
        # The problems app registers the same section label, so both land in one "Problems" dropdown.
        register_menu(MenuEntry(section=_("Problems"), label=_("Known errors"), url_name="known_errors:list",
                                audience="agent", order=40, testid="menu-known-errors"))
        register_seeder("known_errors.demo.seed", order=60)
        register_scope("known_errors", _("Known errors"), _("The known error API."))
        # One schema component per choice set (incidents have a "state" and an "action" too).
        register_schema_enums({"KnownErrorStateEnum": "known_errors.choices.State",
                               "KnownErrorActionEnum": "known_errors.choices.Action"})
