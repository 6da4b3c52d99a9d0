"""A record's timeline: events with stable keys and structured data, translated when shown, never stored as
sentences. Kinds register the keys they write (with the sentence in which the data is placed) in ready().

    register_event("major_declared", gettext_lazy("Declared a major incident."))
    record_event(incident, "stakeholder_update", actor=lead, public=True, text="...")
"""

from django.utils.translation import gettext_lazy as _

from core.roles import is_staff_member

from .models import TimelineEvent
from .registry import kind_of

EVENTS = {}


def register_event(key, sentence):
    """`sentence` is a lazily translated text; %(name)s placeholders are filled from the event's data."""
    EVENTS[key] = sentence


def record_event(record, key, *, actor, public=False, **data):
    """Write one timeline event for `record` (inside the caller's transaction)."""
    if key not in EVENTS:
        raise KeyError(f"timeline event {key} is not registered")
    return TimelineEvent.objects.create(record_kind=kind_of(record).key, record_id=record.pk, key=key, data=data,
                                        actor=actor, public=public)


def describe(event):
    """The event's sentence in the active language, with its data placed in it."""
    sentence = EVENTS.get(event.key)
    if sentence is None:
        return event.key
    try:
        return str(sentence) % {k: v for k, v in (event.data or {}).items()}
    except (KeyError, TypeError, ValueError):
        return str(sentence)


def timeline_of(record, user):
    """The events of `record` `user` may see (end users: the public ones), oldest first, with `.sentence`."""
    events = TimelineEvent.objects.filter(record_kind=kind_of(record).key, record_id=record.pk).select_related("actor")
    if not is_staff_member(user):
        events = events.filter(public=True)
    result = list(events)
    for event in result:
        event.sentence = describe(event)
    return result


register_event("note", _("%(text)s"))
