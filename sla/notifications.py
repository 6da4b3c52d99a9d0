"""Warnings and breaches told to people: in the portal and by mail, in each recipient's language (core.notify);
many to one person at once arrive as one digest mail, each still its own notification in the portal.

Each (recipient, clock, run, threshold) is notified once: core.notify's unique key refuses a repeat, whether the
task was delivered twice, re-queued by the outbox sweep, or run by two workers at once. The event's `notified_at` is
set when every recipient has been served; until then the event stays in the outbox.
"""

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.models import User
from core.notify import Notice, notify_each
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


def _notice(event):
    clock = event.clock
    incident = clock.incident
    return Notice(
        key=notice_key(event), subject_template="sla/mail/threshold_subject.txt",
        body_template="sla/mail/threshold_body.txt",
        context={"event": event, "clock": clock, "incident": incident, "metric_label": Metric(clock.metric).label,
                 "time_zone": clock.sla.calendar.time_zone, "actions": _record_actions_done(event)},
        url=reverse("incidents:detail", args=[incident.number]),
    )


def send_threshold_notices(event_ids):
    """Serve the events still unsent among `event_ids` (the task's body) over one mail connection; answers the
    number of notifications. Each person gets their notices in one go (core.notify.notify_each: a digest mail when
    there are many), each person's committing on its own, so a failure part-way keeps those already served; the
    events whose addressees were all served are marked even then, the rest stay in the outbox."""
    events = (ClockThresholdEvent.objects.filter(pk__in=event_ids, notified_at__isnull=True)
              .select_related("clock__sla__calendar", "clock__incident__assignee",
                              "clock__incident__assignment_group")
              .order_by("pk"))
    events = list(events)
    people = User.objects.in_bulk({pk for event in events for pk in _addressees(event)})
    by_person = {}
    for event in events:
        notice = _notice(event)
        for pk in _addressees(event):
            by_person.setdefault(pk, []).append(notice)
    sent, served_people = 0, {pk for pk in by_person if pk not in people}  # a deleted person: nobody to tell
    try:
        with mail.get_connection() as connection:
            for pk, notices in by_person.items():
                if pk in people:
                    sent += notify_each(people[pk], notices, connection=connection,
                                        digest_subject_template="sla/mail/digest_subject.txt",
                                        digest_body_template="sla/mail/digest_body.txt")
                served_people.add(pk)
    finally:
        served = [event.pk for event in events if set(_addressees(event)) <= served_people]
        if served:
            ClockThresholdEvent.objects.filter(pk__in=served).update(notified_at=timezone.now())
    return sent
