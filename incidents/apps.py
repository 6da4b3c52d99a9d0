from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# impact (rows, 1 = extensive) × urgency (columns, 1 = critical) → priority (1 = P1 urgent ... 4 = P4 minor)
DEFAULT_PRIORITY_MATRIX = [
    [1, 1, 2, 3],
    [1, 2, 3, 3],
    [2, 3, 3, 4],
    [3, 3, 4, 4],
]


def ensure_priority_matrix(**kwargs):
    """Fill any missing cell of the matrix with its default; cells administrators changed are kept.

    Runs after every migrate (and after a test flush, which empties the table the data migration filled).
    """
    from .models import PriorityMatrixEntry

    for impact, row in enumerate(DEFAULT_PRIORITY_MATRIX, start=1):
        for urgency, priority in enumerate(row, start=1):
            PriorityMatrixEntry.objects.get_or_create(impact=impact, urgency=urgency, defaults={"priority": priority})


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incident management")

    def ready(self):
        from django.db.models.signals import post_migrate

        from core.saved_views import register_list

        from .tables import QUEUE

        post_migrate.connect(ensure_priority_matrix, sender=self)
        register_list(QUEUE)

        from django.conf import settings
        from django.utils.translation import gettext_lazy

        from records.registry import (
            MenuEntry,
            RecordKind,
            register_api,
            register_beat,
            register_kind,
            register_menu,
            register_urls,
        )

        from .workflow import WORKFLOW

        register_urls("desk/incidents/", "incidents.urls")
        register_api("incidents.api.urls")
        section = gettext_lazy("Incidents")
        register_menu(MenuEntry(section, gettext_lazy("Incident queue"), "incidents:queue", order=10,
                                testid="nav-incident-queue"))
        register_menu(MenuEntry(section, gettext_lazy("Log an incident"), "incidents:create", order=11,
                                testid="nav-log-incident"))
        register_menu(MenuEntry(section, gettext_lazy("Major incidents"), "incidents:major-list", order=12,
                                testid="nav-major-incidents"))
        register_menu(MenuEntry(section, gettext_lazy("Priority matrix"), "incidents:priority-matrix",
                                audience="admin", order=19))
        register_beat("auto-close-resolved-incidents", "incidents.tasks.auto_close_resolved_incidents",
                      settings.AUTO_CLOSE_INTERVAL_SECONDS, expires=False)
        from records.timeline import register_event

        register_event("merged_into", gettext_lazy("Merged into %(number)s."))
        register_event("merged_in", gettext_lazy("%(number)s was merged into this incident."))
        register_kind(RecordKind(
            key="incident", prefix="INC", model_label="incidents.Incident", workflow=WORKFLOW,
            desk_url="incidents:detail", portal_url="portal:incident-detail", api_scope="incidents"))

        from . import major  # registers the major-incident timeline events; proposes majors on P1s (below)
        from .models import Incident
        from .signals import incident_changed, incident_created

        incident_created.connect(major._on_created, sender=Incident, dispatch_uid="major-proposal-created")
        incident_changed.connect(major._on_changed, sender=Incident, dispatch_uid="major-proposal-changed")

        from apitokens.scopes import register_scope

        register_scope("incidents", _("Incidents"), _("The incident API."))
