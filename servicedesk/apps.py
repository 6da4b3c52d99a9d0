from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "servicedesk"
    verbose_name = _("Service desk")

    def ready(self):
        from records.registry import MenuEntry, register_api, register_menu, register_urls

        register_urls("portal/", "servicedesk.portal_urls")
        register_api("servicedesk.api.urls")
        register_menu(MenuEntry(_("Self-service portal"), _("Self-service portal"), "portal:home",
                                audience="end_user", order=80))
