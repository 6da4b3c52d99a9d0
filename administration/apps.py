from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdministrationConfig(AppConfig):
    """The administrators' pages in the desk: people, teams, organisations, services, categories, CI classes and
    API tokens. Pages only: every change goes through the owning app's service functions."""

    name = "administration"
    verbose_name = _("Administration")

    def ready(self):
        from records.registry import MenuEntry, register_menu, register_urls

        register_urls("desk/administration/", "administration.urls")
        register_menu(MenuEntry(_("Administration"), _("Administration"), "administration:index", audience="admin",
                                order=90, testid="nav-administration"))
