from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("Service level management")

    def ready(self):
        from apitokens.scopes import register_scope

        # Any change to a calendar, its periods or exceptions bumps the calendar's revision (cache invalidation).
        from . import receivers, signals  # noqa: F401 - receivers: incident signals move clocks

        register_scope("sla", _("SLA"), _("Calendars, agreements, clocks and the SLA dashboard."))

        from records.registry import MenuEntry, register_api, register_menu, register_urls

        register_urls("sla/dashboard/", "sla.dashboard.urls")
        register_urls("sla/", "sla.desk.urls")  # calendars and agreements; after sla/dashboard/ so as not to shadow it
        register_api("sla.api.urls")
        register_api("sla.dashboard.api_urls")
        section = _("SLA")
        register_menu(MenuEntry(section, _("SLA dashboard"), "sla-dashboard:dashboard", audience="lead", order=60,
                                testid="nav-sla-dashboard"))
        register_menu(MenuEntry(section, _("Agreements and calendars"), "sla-desk:agreements", audience="lead",
                                order=61, testid="nav-sla-settings"))
