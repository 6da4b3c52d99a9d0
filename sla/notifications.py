"""Warnings and breaches told to people: in the portal and by mail, in each recipient's language (core.notify).

Each (recipient, clock, run, threshold) is notified once: core.notify's unique key refuses a repeat, whether the
task was delivered twice, re-queued by the outbox sweep, or run by two workers at once. The event's `notified_at` is
set when every recipient has been served; until then the event stays in the outbox.
"""

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.models import User
from core.notify import notify
from core.roles import Role

from .choices import RECORD_ACTIONS, EscalationAction, Metric
from .models import ClockThresholdEvent


def recipient_ids(action, *, assignee_id, lead_id, manager_ids):
    """Whom an escalation step addresses, decided when the threshold is reached (sla.escalation stores the ids, so a
    reassignment by the same threshold does not redirect its warning). "The assignee" is the group lead while nobody
    is assigned."""
    if action == EscalationAction.NOTIFY_ASSIGNEE:
        person = assignee_id or lead_id
        return [person] if person else []
    if action == EscalationAction.NOTIFY_GROUP_LEAD:
        return [lead_id] if lead_id else []
    if action == EscalationAction.NOTIFY_MANAGERS:
        return list(manager_ids)
    return []


def manager_ids():
    return list(User.objects.filter(groups__name=Role.MANAGER, is_active=True).order_by("pk")
                .values_list("pk", flat=True))


def notice_key(event):
    return f"sla:{event.clock_id}:{event.run}:{event.threshold_percent}"


def _record_actions_done(event):
    """Labels (lazy: rendered in the recipient's language) of the record actions the threshold carried out."""
    labels = dict(EscalationAction.choices)
    return [labels[done["action"]] for done in event.actions
            if done.get("action") in RECORD_ACTIONS and done.get("done")]


def _addressees(event):
    return sorted({pk for planned in event.actions for pk in planned.get("to", ())})


def send_notices(event, connection=None, people=None):
    """Notify everyone the event's steps address; answer how many notifications were new."""
    clock = event.clock
    incident = clock.incident
    wanted = _addressees(event)
    if people is None:
        people = User.objects.in_bulk(wanted)
    sent = 0
    for person in filter(None, (people.get(pk) for pk in wanted)):
        sent += notify(
            person, key=notice_key(event), connection=connection,
            subject_template="sla/mail/threshold_subject.txt", body_template="sla/mail/threshold_body.txt",
            context={"event": event, "clock": clock, "incident": incident, "metric_label": Metric(clock.metric).label,
                     "time_zone": clock.sla.calendar.time_zone, "actions": _record_actions_done(event)},
            url=reverse("incidents:detail", args=[incident.number]),
        )
    return sent


def send_threshold_notices(event_ids):
    """Serve the events still unsent among `event_ids` (the task's body) over one mail connection; answers the
    number of notifications. Each notification commits on its own (core.notify), so a failure part-way keeps those
    already sent, and the events served so far are marked even then; the rest stay in the outbox."""
    events = (ClockThresholdEvent.objects.filter(pk__in=event_ids, notified_at__isnull=True)
              .select_related("clock__sla__calendar", "clock__incident__assignee",
                              "clock__incident__assignment_group")
              .order_by("pk"))
    events = list(events)
    people = User.objects.in_bulk({pk for event in events for pk in _addressees(event)})
    sent, served = 0, []
    try:
        with mail.get_connection() as connection:
            for event in events:
                sent += send_notices(event, connection, people)
                served.append(event.pk)
    finally:
        if served:
            ClockThresholdEvent.objects.filter(pk__in=served).update(notified_at=timezone.now())
    return sent
