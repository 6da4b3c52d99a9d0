"""Major incidents: one service per step, called by the desk pages, the portal and the API alike.

A lead declares an incident major and names its manager (a P1 on a critical service is proposed to the leads first,
never declared by itself). Child incidents hang off it by their `parent` (the field the incident already has), so the
incident page, merging and the API see one family. Stakeholder updates go out as public replies on the major incident
and every open child (incidents.major_updates). End users who are hit too join from the portal ("this affects me
too"): their incident becomes a child. Closing a major incident needs its review, which raises a problem.

What happened is kept on the major incident's timeline (records.timeline), under the keys registered at the end.
"""

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import outbox
from core.exceptions import Conflict
from core.roles import is_lead, is_staff_member
from records import services as records_services
from records.models import TimelineEvent
from records.timeline import record_event, register_event
from servicedesk.models import Service

from . import services
from .choices import FINAL_STATES, OPEN_STATES, Channel, Priority, State
from .models import Incident, MajorIncident, MajorStatus


def _may_run(actor, incident):
    """Leads run major incidents; so does the manager named for this one."""
    if is_lead(actor):
        return True
    major = _process(incident)
    return major is not None and major.manager_id == getattr(actor, "pk", None) and is_staff_member(actor)


def _process(incident):
    return MajorIncident.objects.filter(incident_id=incident.pk).first()


# -- proposal ------------------------------------------------------------------------------------------------------

def wants_proposal(incident):
    """A P1 on a critical service, open and not yet major: the leads should look at it."""
    return (incident.priority == Priority.P1 and incident.service_id is not None and not incident.is_major
            and incident.state in OPEN_STATES
            and Service.objects.filter(pk=incident.service_id, is_critical=True).exists())  # as stored now


def propose_if_needed(incident):
    """Propose `incident` to the leads (once: a dismissed proposal stays dismissed). Runs inside the change."""
    if not wants_proposal(incident):
        return None
    _major, created = MajorIncident.objects.get_or_create(
        incident=incident, defaults={"status": MajorStatus.PROPOSED, "proposed_at": timezone.now()})
    if created:
        record_event(incident, "major_proposed", actor=None, service=incident.service.name)
    return _major if created else None


def _on_created(sender, record, **kwargs):
    propose_if_needed(record)


def _on_changed(sender, record, changes, **kwargs):
    if {"priority", "service_id", "state"} & set(changes):
        propose_if_needed(record)


def dismiss_proposal(incident, *, actor):
    if not is_lead(actor):
        raise PermissionDenied(_("Only a team lead may dismiss a major-incident proposal."))
    with transaction.atomic(), records_services.audit(actor, "dismiss_major_proposal"):
        major = MajorIncident.objects.select_for_update().filter(incident_id=incident.pk).first()
        if major is None or major.status != MajorStatus.PROPOSED:
            raise Conflict(_("This incident has no open major-incident proposal."))
        major.status = MajorStatus.DISMISSED
        major.save(update_fields=["status"])
        record_event(incident, "major_proposal_dismissed", actor=actor)
    return major


# -- declaring -------------------------------------------------------------------------------------------------------

def declare_major(incident, *, actor, manager, version=None, summary=""):
    """A lead marks `incident` major and names its major-incident manager (a member of staff)."""
    if not is_lead(actor):
        raise PermissionDenied(_("Only a team lead may declare a major incident."))
    if manager is None:
        raise ValidationError({"manager": _("Choose the major-incident manager.")})
    if not manager.is_active or not is_staff_member(manager):
        raise ValidationError({"manager": _("The major-incident manager must be an active member of staff.")})
    with transaction.atomic():
        with records_services.changing(incident, actor=actor, action="declare_major", version=version) as change:
            incident = change.record
            if incident.state not in OPEN_STATES:
                raise Conflict(_("Only an open incident can be declared major."), state=incident.state)
            major = MajorIncident.objects.select_for_update().filter(incident=incident).first()
            if major is not None and major.status in (MajorStatus.ACTIVE, MajorStatus.REVIEWED):
                raise Conflict(_("This incident is already a major incident."))
            incident.is_major = True
            major = major or MajorIncident(incident=incident)
            major.status, major.manager, major.summary = MajorStatus.ACTIVE, manager, (summary or "").strip()
            major.declared_at, major.declared_by = timezone.now(), actor
            major.save()
        record_event(incident, "major_declared", actor=actor, public=True, manager=manager.get_full_name()
                     or manager.username)
    incident.major = major
    return incident


# -- children --------------------------------------------------------------------------------------------------------

def _check_major(major):
    if not Incident.objects.filter(pk=major.pk, is_major=True).exists():  # as stored, not as the caller last read it
        raise ValidationError({"major": _("%(number)s is not a major incident.") % {"number": major.number}})


def attach_to_major(major, child, *, actor):
    """Make `child` a child incident of `major` (its `parent`, through update_incident). Attaching twice is once."""
    if not is_staff_member(actor):
        raise PermissionDenied(_("Only service desk staff may attach incidents."))
    _check_major(major)
    if child.pk == major.pk:
        raise ValidationError({"child": _("A major incident cannot be attached to itself.")})
    if child.is_major:
        raise ValidationError({"child": _("%(number)s is a major incident itself.") % {"number": child.number}})
    if Incident.objects.filter(pk=child.pk, parent_id=major.pk).exists():
        return child
    with transaction.atomic():
        child = services.update_incident(child, actor=actor, version=None, parent=major)
        record_event(major, "major_child_attached", actor=actor, number=child.number)
    return child


def children_of(major):
    return Incident.objects.filter(parent_id=major.pk).order_by("pk")


# -- stakeholder updates ---------------------------------------------------------------------------------------------

def post_update(major, *, actor, body):
    """One public update for every requester: kept on the timeline now, delivered as a public reply on the major
    incident and each open child by the outbox (incidents.major_updates), so 500 children do not hold the request."""
    if not _may_run(actor, major):
        raise PermissionDenied(_("Only a team lead or the major-incident manager may post stakeholder updates."))
    _check_major(major)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the update before sending it.")})
    with transaction.atomic(), records_services.audit(actor, "stakeholder_update"):
        locked = Incident.objects.select_for_update().get(pk=major.pk)
        if locked.state in FINAL_STATES:
            raise Conflict(_("This major incident is closed."), state=locked.state)
        event = record_event(locked, "stakeholder_update", actor=actor, public=True, text=body)
        outbox.enqueue("incidents.major_updates.deliver_update", {"event_id": event.pk, "after_id": 0},
                       key=f"major-update:{event.pk}:0")
    return event


def latest_updates(incident_ids):
    """{major incident id: its latest public stakeholder update (a TimelineEvent)}."""
    # One row per major incident (DISTINCT ON), not every update it ever had.
    events = TimelineEvent.objects.filter(record_kind="incident", record_id__in=list(incident_ids),
                                          key="stakeholder_update", public=True)
    return {event.record_id: event for event in
            events.order_by("record_id", "-created_at", "-id").distinct("record_id")}


# -- the portal: who sees an ongoing major incident, and joining it ---------------------------------------------------

def major_incidents_for(user):
    """Major incidents announced to `user`: staff see all; an end user those on a service they have reported on,
    of their organisation, or with a child from their organisation. Open or not (the caller filters)."""
    majors = Incident.objects.filter(is_major=True)
    if user is None or not user.is_authenticated or not user.is_active:
        return majors.none()
    if is_staff_member(user):
        return majors
    used = Incident.objects.filter(requester=user, service__isnull=False).values("service_id")
    condition = Q(requester=user) | Q(service_id__in=used)
    if user.organisation_id:
        children = Incident.objects.filter(parent=OuterRef("pk"), organisation_id=user.organisation_id)
        condition |= Q(organisation_id=user.organisation_id) | Exists(children)
    return majors.filter(condition)


def ongoing_for(user):
    """Open major incidents for the portal's banner, with `latest_update` and the user's `joined` child (or None)."""
    majors = list(major_incidents_for(user).filter(state__in=OPEN_STATES).select_related("service")
                  .order_by("-created_at")[:10])
    updates = latest_updates(m.pk for m in majors)
    mine = {}
    for child in Incident.objects.filter(requester=user, parent_id__in=[m.pk for m in majors]).order_by("pk"):
        mine.setdefault(child.parent_id, child)
    for major in majors:
        major.latest_update = updates.get(major.pk)
        major.joined = major if major.requester_id == user.pk else mine.get(major.pk)  # their own is followed already
    return majors


def join_major(major, *, actor, description=""):
    """"This affects me too": the actor's incident becomes a child of `major`: the one already attached, else their
    open incident on the same service, else a new one. Answers (incident, created?). A major incident that is over
    answers 409."""
    with transaction.atomic():
        major = Incident.objects.select_for_update().get(pk=major.pk)  # one join at a time: twice is still once
        _check_major(major)
        if major.state not in OPEN_STATES:
            raise Conflict(_("This major incident is over; if you still have a problem, please report it."),
                           state=major.state)
        if major.requester_id == actor.pk:  # it is their own incident: they hear of every update already
            return major, False
        joined = Incident.objects.filter(requester=actor, parent=major).exclude(state__in=FINAL_STATES).first()
        if joined is not None:
            return joined, False
        own = None
        if major.service_id:
            own = (Incident.objects.filter(requester=actor, service_id=major.service_id, state__in=OPEN_STATES,
                                           parent__isnull=True, is_major=False)
                   .exclude(pk=major.pk).order_by("-created_at").first())
        created = own is None
        if created:
            own = services.create_incident(
                actor=actor, title=major.title, channel=Channel.PORTAL, service=major.service,
                description=(description or "").strip() or _("This affects me too (%(number)s).")
                % {"number": major.number})
        with records_services.changing(own, actor=actor, action="join_major") as change:
            change.record.parent = major
        record_event(major, "major_joined", actor=actor, number=own.number)
    own.refresh_from_db()
    return own, created


# -- review and closing ----------------------------------------------------------------------------------------------

def check_may_close(incident):
    """Called by close_incident on the locked row: a major incident closes only after its review."""
    if incident.is_major and not MajorIncident.objects.filter(incident_id=incident.pk,
                                                              status=MajorStatus.REVIEWED).exists():
        raise Conflict(_("A major incident can be closed only after its review."), state=incident.state)


def review_major(incident, *, actor, review, version=None):
    """Record the review of a resolved major incident (so it may close) and raise a problem from it."""
    if not _may_run(actor, incident):
        raise PermissionDenied(_("Only a team lead or the major-incident manager may review a major incident."))
    review = (review or "").strip()
    if not review:
        raise ValidationError({"review": _("Write the review: what happened, why, and what will prevent it.")})
    with transaction.atomic():
        with records_services.changing(incident, actor=actor, action="major_review", version=version) as change:
            change.write = False  # the incident itself does not change; its process does
            incident = change.record
            major = MajorIncident.objects.select_for_update().filter(incident=incident).first()
            if not incident.is_major or major is None or major.status not in (MajorStatus.ACTIVE,):
                if major is not None and major.status == MajorStatus.REVIEWED:
                    raise Conflict(_("This major incident has been reviewed already."))
                raise Conflict(_("Only a declared major incident is reviewed."))
            if incident.state != State.RESOLVED:
                raise Conflict(_("Resolve the major incident before its review."), state=incident.state)
            major.status, major.review = MajorStatus.REVIEWED, review
            major.reviewed_at, major.reviewed_by = timezone.now(), actor
            problem = _raise_problem(incident, actor, review)
            major.problem_id = getattr(problem, "pk", None)
            major.save()
            record_event(incident, "major_reviewed", actor=actor)
            if problem is not None:
                record_event(incident, "major_problem_raised", actor=actor,
                             number=getattr(problem, "number", str(problem.pk)))
    return major


def _raise_problem(incident, actor, review):
    if not apps.is_installed("problems"):
        return None
    from problems.services import raise_problem  # the problem practice is optional (and written beside this)

    title = _("Review of major incident %(number)s: %(title)s") % {"number": incident.number, "title": incident.title}
    return raise_problem(actor=actor, title=title[:200],
                         description=review, source="major_incident",
                         incidents=[incident, *children_of(incident)])


register_event("major_proposed", gettext_lazy("Proposed as a major incident: P1 on the critical service %(service)s."))
register_event("major_proposal_dismissed", gettext_lazy("The major-incident proposal was dismissed."))
register_event("major_declared", gettext_lazy("Declared a major incident; manager: %(manager)s."))
register_event("major_child_attached", gettext_lazy("Attached %(number)s as a child incident."))
register_event("major_joined", gettext_lazy("%(number)s joined: it affects its requester too."))
register_event("stakeholder_update", gettext_lazy("Stakeholder update: %(text)s"))
register_event("major_reviewed", gettext_lazy("The major-incident review was recorded."))
register_event("major_problem_raised", gettext_lazy("Problem %(number)s raised from the review."))
