from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("Knowledge management")

    def ready(self):
        from apitokens.scopes import register_scope
        from records.registry import (
            MenuEntry,
            register_api,
            register_menu,
            register_schema_enums,
            register_seeder,
            register_urls,
        )

        register_urls("desk/knowledge/", "knowledge.urls", "knowledge")
        register_urls("portal/knowledge/", "knowledge.portal_urls", "knowledge-portal")
        register_api("knowledge.api.urls")
        register_seeder("knowledge.demo.seed", order=60)
        register_menu(MenuEntry(section=_("Knowledge"), label=_("Knowledge base"), url_name="knowledge:list",
                                audience="agent", order=60, testid="menu-knowledge"))
        register_menu(MenuEntry(section=_("Knowledge"), label=_("Help articles"), url_name="knowledge-portal:home",
                                audience="end_user", order=60, testid="menu-help"))
        register_scope("knowledge", _("Knowledge base"), _("The knowledge base API."))

        # One schema component per choice set, named after it ("state" and "action" have a set per practice).
        register_schema_enums({
            "ArticleStateEnum": "knowledge.choices.ArticleState",
            "ArticleActionEnum": "knowledge.choices.ArticleAction",
            "ArticleAudienceEnum": "knowledge.choices.Audience",
        })
