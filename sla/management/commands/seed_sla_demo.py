"""`manage.py seed_sla_demo`: the demo's business calendar, agreements and clocks.

A Mon–Fri 09:00–18:00 Asia/Shanghai calendar with China's public holidays and make-up working days for this year and
next; a service desk SLA with the seeds' figures (first response within 1 h and resolution within 48 h for ordinary
requests, 001 §4.2; tighter for P1/P2) and warnings at 75 % and 90 %, escalations at 75 / 90 / 100 %; an OLA for
network operations. Then clocks for every incident that has none, measured from its creation (thresholds already
passed count as handled, so seeding never sends a flood of escalations).

Idempotent: the calendar and agreements are matched by name and left as they are (hand edits survive); incidents
that already have clocks are skipped. seed_demo runs it at its end.
"""

from datetime import time, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import AssignmentGroup
from incidents.choices import Priority
from incidents.models import Incident
from sla import definitions, engine, services
from sla.choices import AgreementKind, EscalationAction, Metric
from sla.models import BusinessCalendar, SLAClock, SLADefinition

CALENDAR_NAME = "上海办公时间 Shanghai office hours"
SLA_NAME = "服务台标准 SLA Service desk standard"
OLA_NAME = "网络运维 OLA Network operations"
NETWORK_GROUP_EMAIL = "netops@itsm.example.com"
MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)

# (priority, first response, progress update, resolution): the seeds' 1 h / 24 h / 48 h for ordinary (P3, P4)
# requests (001 §4.2), tighter for P1/P2.
SLA_TARGETS = [
    (Priority.P1, 15 * MINUTE, 2 * HOUR, 4 * HOUR),
    (Priority.P2, 30 * MINUTE, 4 * HOUR, 8 * HOUR),
    (Priority.P3, HOUR, 24 * HOUR, 48 * HOUR),
    (Priority.P4, HOUR, 24 * HOUR, 48 * HOUR),
]
SLA_STEPS = [
    (75, EscalationAction.NOTIFY_ASSIGNEE),
    (90, EscalationAction.NOTIFY_GROUP_LEAD),
    (100, EscalationAction.NOTIFY_GROUP_LEAD),
    (100, EscalationAction.NOTIFY_MANAGERS),
]
OLA_TARGETS = [(Priority.P1, 2 * HOUR), (Priority.P2, 6 * HOUR), (Priority.P3, 24 * HOUR)]


def seed_calendar(years):
    calendar = BusinessCalendar.objects.filter(name=CALENDAR_NAME).first()
    if calendar is None:
        calendar = services.create_calendar(
            actor=None, name=CALENDAR_NAME, time_zone="Asia/Shanghai",
            description="Mon–Fri 09:00–18:00, China's public holidays and make-up working days (调休).",
            periods=[{"weekday": day, "start_time": time(9), "end_time": time(18)} for day in range(5)],
        )
    for year in years:
        services.fill_calendar(calendar, actor=None, year=year, country="CN")
    return calendar


def seed_agreements(calendar):
    """The demo's SLA and OLA (created if missing). Returns them by name."""
    if not SLADefinition.objects.filter(name=SLA_NAME).exists():
        definitions.create_agreement(
            actor=None, name=SLA_NAME, kind=AgreementKind.SLA, calendar=calendar, party="所有客户 All customers",
            description="001 §4.2: first response within 1 h, a progress update at least every 24 h, resolution "
                        "within 48 h for ordinary requests.",
            targets=[{"priority": p, "metric": metric, "duration": duration}
                     for p, response, update, resolution in SLA_TARGETS
                     for metric, duration in ((Metric.RESPONSE, response), (Metric.UPDATE, update),
                                              (Metric.RESOLUTION, resolution))],
            steps=[{"at_percent": percent, "action": action} for percent, action in SLA_STEPS],
        )
    network = AssignmentGroup.objects.filter(email=NETWORK_GROUP_EMAIL).first()
    if network is not None and not SLADefinition.objects.filter(name=OLA_NAME).exists():
        definitions.create_agreement(
            actor=None, name=OLA_NAME, kind=AgreementKind.OLA, calendar=calendar, assignment_groups=[network],
            party=network.name, description="What network operations promises the service desk while it holds a "
                                            "ticket.",
            targets=[{"priority": p, "metric": Metric.RESOLUTION, "duration": d} for p, d in OLA_TARGETS],
            steps=[{"at_percent": 90, "action": EscalationAction.NOTIFY_GROUP_LEAD},
                   {"at_percent": 100, "action": EscalationAction.NOTIFY_MANAGERS}],
        )
    return {agreement.name: agreement for agreement in SLADefinition.objects.filter(name__in=[SLA_NAME, OLA_NAME])}


def start_clocks(batch=200, progress=None):
    """Clocks for every incident without any; answers (incidents seen, clocks created)."""
    now = timezone.now()
    pending = list(Incident.objects.exclude(pk__in=SLAClock.objects.values("incident_id"))
                   .order_by("pk").values_list("pk", flat=True))
    created = 0
    for start in range(0, len(pending), batch):
        with transaction.atomic():
            for incident in Incident.objects.select_for_update().filter(pk__in=pending[start:start + batch]):
                created += len(engine.backfill_incident(incident, now))
        if progress:
            progress(min(start + batch, len(pending)), len(pending))
    return len(pending), created


class Command(BaseCommand):
    help = "Seed the demo's business calendar, agreements (SLA, OLA) and the clocks of existing incidents."

    def handle(self, *args, **options):
        year = timezone.localdate().year
        calendar = seed_calendar([year, year + 1])
        agreements = seed_agreements(calendar)
        incidents, clocks = start_clocks()
        if options["verbosity"] > 0:
                self.stdout.write(_("Calendar “%(calendar)s”: %(days)d holidays and make-up days; agreements: "
                                "%(agreements)s; %(clocks)d clocks on %(incidents)d incidents.") % {
                "calendar": calendar.name, "days": calendar.exceptions.count(),
                "agreements": ", ".join(sorted(agreements)), "clocks": clocks, "incidents": incidents})
