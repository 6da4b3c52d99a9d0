"""Every change of a known error, one function each; pages, API and tasks call only these.

Built on the records' service kit (records.services): transaction, row lock, version check (409), audit context and
the workflow table's checks (409 with the legal actions, 403 for the wrong actor).

How a known error is linked (records.links, kind key "known_error"):
- an incident that is an occurrence of it: INC caused_by KE (read on the known error as "Causes INC-…"), counted
  once per incident in `link_count`;
- the problem it documents: KE related to PRB (no import of the problems app: the link is by kind key).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import Conflict
from core.roles import is_staff_member
from core.textsearch import search_vector
from records import services as kit
from records.links import add_link
from records.models import LinkType, RecordLink
from records.registry import KINDS

from .choices import Action, State
from .models import KnownError

INCIDENT_LINK = LinkType.CAUSED_BY  # incident → known error
PROBLEM_LINK = LinkType.RELATED  # known error → problem
KIND = "known_error"
EDITABLE_FIELDS = ("title", "symptoms", "root_cause", "workaround", "service", "category", "configuration_items")


def refresh_search(known_error_id):
    """Rebuild the stored search vector from the number, title, symptoms, root cause and workaround."""
    known_error = KnownError.objects.only("number", "title", "symptoms", "root_cause", "workaround").get(
        pk=known_error_id)
    KnownError.objects.filter(pk=known_error_id).update(search_vector=search_vector(*known_error.searchable_texts()))


def _check_staff(actor):
    if actor is None or not is_staff_member(actor):
        raise PermissionDenied(_("Only service desk staff may write known errors."))


def _require_workaround(known_error):
    if not (known_error.workaround or "").strip():
        raise ValidationError({"workaround": _("A known error is published with its workaround: write one first.")})


def problem_kind():
    """The problem record kind, once the problems app is installed (None before)."""
    return KINDS.get("problem")


def create_known_error(*, actor, title, symptoms="", root_cause="", workaround="", service=None, category=None,
                       configuration_items=(), problem=None):
    """Write a draft known error (agents and above), linked to `problem` when one is given."""
    from records.numbering import next_numbers

    _check_staff(actor)
    known_error = KnownError(title=title, symptoms=symptoms, root_cause=root_cause, workaround=workaround,
                             service=service, category=category, requester=actor, state=State.DRAFT)
    known_error.full_clean(exclude=["number", "version"])
    with transaction.atomic(), kit.audit(actor, "create"):
        known_error.number = next_numbers(KnownError, 1)[0]
        known_error.save()
        if configuration_items:
            known_error.configuration_items.set(configuration_items)
        if problem is not None:
            add_link(known_error, PROBLEM_LINK, problem, actor=actor)
        refresh_search(known_error.pk)
    return known_error


def update_known_error(known_error, *, actor, version, **changes):
    """Change the known error's fields (not its state). A retired one is revised (back to draft) first; a published
    one keeps a workaround."""
    _check_staff(actor)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    items = changes.pop("configuration_items", None)
    with transaction.atomic():
        with kit.changing(known_error, actor=actor, action="update", version=version) as change:
            known_error = change.record
            if known_error.state == State.RETIRED:
                raise Conflict(_("A retired known error is taken back to draft before it is edited."),
                               state=known_error.state, allowed=[Action.REVISE.value, Action.REPUBLISH.value])
            for name, value in changes.items():
                setattr(known_error, name, value)
            known_error.full_clean(exclude=["number"])
            if known_error.state == State.PUBLISHED:
                _require_workaround(known_error)
            if items is not None:
                known_error.configuration_items.set(items)
        refresh_search(known_error.pk)
    return known_error


def publish_known_error(known_error, *, actor, version=None):
    """Show the known error to the desk (leads, problem managers). It needs a workaround."""
    with kit.transition(known_error, Action.PUBLISH, actor=actor, version=version) as change:
        _require_workaround(change.record)
        change.record.published_at = timezone.now()
    return change.record


def retire_known_error(known_error, *, actor, version=None):
    """Take it off the desk (fixed, or no longer true); it stays readable in the list."""
    with kit.transition(known_error, Action.RETIRE, actor=actor, version=version) as change:
        pass
    return change.record


def revise_known_error(known_error, *, actor, version=None):
    """Back to draft to rework it; the desk stops seeing it until it is published again."""
    with kit.transition(known_error, Action.REVISE, actor=actor, version=version) as change:
        pass
    return change.record


def republish_known_error(known_error, *, actor, version=None):
    """A retired known error is true again (the fix was rolled back): back on the desk."""
    with kit.transition(known_error, Action.REPUBLISH, actor=actor, version=version) as change:
        _require_workaround(change.record)
        change.record.published_at = timezone.now()
    return change.record


# For channels that name the action as data (the API, the page's buttons).
ACTIONS = {
    Action.PUBLISH: publish_known_error,
    Action.RETIRE: retire_known_error,
    Action.REVISE: revise_known_error,
    Action.REPUBLISH: republish_known_error,
}


def link_to_incident(known_error, incident, *, actor):
    """Record that `incident` is an occurrence of this published known error (INC caused_by KE) and count it on the
    known error, once per incident: the known error's row is locked while the link is looked for, so two agents
    clicking at once count it once. Returns True when the link is new."""
    _check_staff(actor)
    with transaction.atomic(), kit.audit(actor, "link_incident"):
        locked = KnownError.objects.select_for_update().get(pk=known_error.pk)
        if locked.state != State.PUBLISHED:
            raise Conflict(_("Only a published known error can be linked to an incident."), state=locked.state)
        if RecordLink.objects.filter(source_kind="incident", source_id=incident.pk, link_type=INCIDENT_LINK,
                                     target_kind=KIND, target_id=locked.pk).exists():
            return False
        add_link(incident, INCIDENT_LINK, locked, actor=actor)
        KnownError.objects.filter(pk=locked.pk).update(link_count=F("link_count") + 1)
    return True


def linked_incident_ids(known_error):
    return RecordLink.objects.filter(link_type=INCIDENT_LINK, target_kind=KIND, target_id=known_error.pk,
                                     source_kind="incident").values_list("source_id", flat=True)


def linked_known_error_ids(incident):
    return RecordLink.objects.filter(link_type=INCIDENT_LINK, source_kind="incident", source_id=incident.pk,
                                     target_kind=KIND).values_list("target_id", flat=True)
