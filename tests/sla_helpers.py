"""What the SLA tests share: calendars, agreements, a controllable clock, and incidents at a given priority."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from incidents import services as incident_services
from incidents.choices import Channel, Impact, Priority, Urgency
from sla import definitions
from sla import services as calendar_services
from sla.choices import EscalationAction, Metric

SHANGHAI = ZoneInfo("Asia/Shanghai")
ALL_DAY = [{"weekday": day, "start_time": time(0), "end_time": time(0)} for day in range(7)]
# impact × urgency giving each priority through the default matrix
IMPACT_URGENCY = {Priority.P1: (Impact.EXTENSIVE, Urgency.CRITICAL), Priority.P2: (Impact.SIGNIFICANT, Urgency.HIGH),
                  Priority.P3: (Impact.MODERATE, Urgency.MEDIUM), Priority.P4: (Impact.MINOR, Urgency.LOW)}


def office_hours(start=8, end=18, days=range(5)):
    return [{"weekday": day, "start_time": time(start), "end_time": time(end)} for day in days]


def make_calendar(admin, name="Office", time_zone="Asia/Shanghai", periods=None):
    return calendar_services.create_calendar(actor=admin, name=name, time_zone=time_zone,
                                             periods=office_hours() if periods is None else periods)


def targets(**by_key):
    """targets(P3_response=timedelta(hours=1), ...) → the list the definitions service takes."""
    rows = []
    for key, duration in by_key.items():
        priority, metric = key.split("_")
        rows.append({"priority": Priority[priority], "metric": Metric(metric), "duration": duration})
    return rows


def step(at_percent, action, metric="", target_group=None):
    return {"at_percent": at_percent, "action": EscalationAction(action), "metric": metric,
            "target_group": target_group}


def make_agreement(admin, calendar, *, name="Standard", target_rows=None, steps=(), **fields):
    if target_rows is None:
        target_rows = targets(P3_response=timedelta(hours=1), P3_resolution=timedelta(hours=4))
    return definitions.create_agreement(actor=admin, name=name, calendar=calendar, targets=target_rows, steps=steps,
                                        **fields)


def report(cast, priority=Priority.P3, requester=None, **kwargs):
    """An incident at `priority`, logged by the desk for the cast's end user and assigned to the cast's group."""
    impact, urgency = IMPACT_URGENCY[priority]
    kwargs.setdefault("assignment_group", cast.group)
    return incident_services.create_incident(actor=cast.agent, requester=requester or cast.end_user,
                                             title=kwargs.pop("title", "Printer jams"), channel=Channel.PHONE,
                                             impact=impact, urgency=urgency, **kwargs)


class FrozenClock:
    """django.utils.timezone.now() under the test's control (incident services, auto_now fields and sla all use it).

    Tests take it as the `frozen` fixture (tests/conftest.py).
    """

    def __init__(self, monkeypatch):
        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def set(self, instant):
        self.now = instant
        return instant

    def advance(self, **kwargs):
        self.now += timedelta(**kwargs)
        return self.now


def at(*args, tz=SHANGHAI):
    return datetime(*args, tzinfo=tz)
