from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    name = "problems"
    verbose_name = _("Problem management")

    def ready(self):
        from apitokens.scopes import register_scope
        from records.registry import (
            MenuEntry,
            RecordKind,
            register_api,
            register_beat,
            register_kind,
            register_menu,
            register_schema_enums,
            register_seeder,
            register_urls,
        )
        from records.timeline import register_event

        from .workflow import WORKFLOW

        register_kind(RecordKind(key="problem", prefix="PRB", model_label="problems.Problem", workflow=WORKFLOW,
                                 desk_url="problems:detail", portal_url=None, api_scope="problems"))
        register_urls("desk/problems/", "problems.urls", "problems")
        register_api("problems.api.urls")
        section = _("Problems")
        register_menu(MenuEntry(section, _("Problems"), "problems:list", "agent", 30, "menu-problems"))
        register_menu(MenuEntry(section, _("Problem candidates"), "problems:candidates", "agent", 31,
                                "menu-problem-candidates"))
        register_seeder("problems.demo.seed", order=60)
        register_beat("problem-trends", "problems.tasks.propose_problem_candidates", 600)
        register_scope("problems", _("Problems"), _("The problem API: problems and trend candidates."))
        register_event("problem_incidents_resolved", _("Resolved %(count)s linked incidents: %(numbers)s."))
        # One schema component per choice set (the incidents' State and Action would collide with these).
        register_schema_enums({
            "ProblemStateEnum": "problems.choices.ProblemState",
            "ProblemActionEnum": "problems.choices.ProblemAction",
            "ProblemSourceEnum": "problems.choices.ProblemSource",
            "CauseCategoryEnum": "problems.choices.CauseCategory",
            "CandidateStateEnum": "problems.choices.CandidateState",
            "TrendDimensionEnum": "problems.choices.TrendDimension",
        })
