from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = _("Records")

    def ready(self):
        from .registry import MenuEntry, register_api, register_menu, register_urls

        # The panels every record kind's desk page includes, and the framework's own desk pages.
        register_urls("desk/records/", "records.panel_urls", "records")
        register_api("records.api_time")
        register_menu(MenuEntry(_("Desk tools"), _("My reply templates"), "records:my-templates", audience="agent",
                                order=900, testid="nav-reply-templates"))
        register_menu(MenuEntry(_("Desk tools"), _("Time spent"), "records:effort", audience="lead", order=901,
                                testid="nav-effort"))
