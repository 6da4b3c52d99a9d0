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
