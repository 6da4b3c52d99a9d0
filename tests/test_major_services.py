"""Major incidents through their services: declaring (leads only), proposals for a P1 on a critical service,
children, stakeholder updates reaching every requester, "this affects me too", and the review before closing."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core import outbox
from core.exceptions import Conflict
from core.models import Notification
from incidents import major, services
from incidents.choices import Action, Impact, ResolutionCode, State, Urgency
from incidents.models import Incident, IncidentComment, MajorIncident, MajorStatus
from records.timeline import timeline_of
from tests.factories import ServiceFactory, UserFactory
from tests.mail import subject_of


@pytest.fixture
def outage(cast):
    incident = services.create_incident(actor=cast.agent, requester=cast.end_user, title="Mail is down for everyone",
                                        service=cast.service, assignment_group=cast.group)
    return services.take_incident(incident, actor=cast.agent)


def relay_all():
    """What the outbox relay does after the commit: deliver the update's batches and the mails they queue."""
    while outbox.relay()[0]:
        pass


def _declare(cast, incident):
    return major.declare_major(incident, actor=cast.lead, manager=cast.agent, version=incident.version)


def _resolve(cast, incident):
    incident.refresh_from_db()
    return services.resolve_incident(incident, actor=cast.agent, resolution_code=ResolutionCode.SOLVED,
                                     resolution_notes="Mail server restarted")


def test_a_lead_declares_and_names_the_manager(cast, outage):
    declared = _declare(cast, outage)
    assert declared.is_major and declared.version == outage.version + 1
    process = MajorIncident.objects.get(incident=outage)
    assert (process.status, process.manager, process.declared_by) == (MajorStatus.ACTIVE, cast.agent, cast.lead)
    [event] = [e for e in timeline_of(outage, cast.agent) if e.key == "major_declared"]
    assert cast.agent.get_full_name() in event.sentence


@pytest.mark.parametrize("who", ["agent", "end_user"])
def test_only_leads_declare(cast, outage, who):
    with pytest.raises(PermissionDenied):
        major.declare_major(outage, actor=getattr(cast, who), manager=cast.agent, version=outage.version)
    assert not Incident.objects.get(pk=outage.pk).is_major
    assert not MajorIncident.objects.exists()


def test_declaring_needs_a_staff_manager_and_a_current_version(cast, outage):
    with pytest.raises(ValidationError) as error:
        major.declare_major(outage, actor=cast.lead, manager=cast.end_user, version=outage.version)
    assert "manager" in error.value.message_dict
    with pytest.raises(Conflict):
        major.declare_major(outage, actor=cast.lead, manager=cast.agent, version=outage.version - 1)
    assert not Incident.objects.get(pk=outage.pk).is_major


def test_a_p1_on_a_critical_service_is_proposed_not_declared(cast):
    critical = ServiceFactory(name="Payroll", is_critical=True)
    incident = services.create_incident(actor=cast.agent, requester=cast.end_user, title="Payroll down",
                                        service=critical, impact=Impact.EXTENSIVE, urgency=Urgency.CRITICAL)
    process = MajorIncident.objects.get(incident=incident)
    assert process.status == MajorStatus.PROPOSED and not Incident.objects.get(pk=incident.pk).is_major
    # A P1 on an ordinary service, or a P3 on the critical one, is not proposed.
    services.create_incident(actor=cast.agent, title="Mail slow", service=cast.service, impact=Impact.EXTENSIVE,
                             urgency=Urgency.CRITICAL)
    lower = services.create_incident(actor=cast.agent, title="Payroll slow", service=critical)
    assert MajorIncident.objects.count() == 1
    # Raised to P1 later: proposed then.
    services.update_incident(lower, actor=cast.agent, version=lower.version, impact=Impact.EXTENSIVE,
                             urgency=Urgency.CRITICAL)
    assert MajorIncident.objects.get(incident=lower).status == MajorStatus.PROPOSED
    major.dismiss_proposal(lower, actor=cast.lead)
    lower = services.update_incident(lower, actor=cast.agent, version=None, urgency=Urgency.LOW)
    services.update_incident(lower, actor=cast.agent, version=lower.version, urgency=Urgency.CRITICAL)
    assert MajorIncident.objects.get(incident=lower).status == MajorStatus.DISMISSED  # never proposed twice


def test_attach_children_once(cast, outage):
    _declare(cast, outage)
    child = services.create_incident(actor=cast.colleague, title="Cannot send mail")
    major.attach_to_major(outage, child, actor=cast.agent)
    major.attach_to_major(outage, child, actor=cast.agent)
    assert list(major.children_of(outage)) == [child]
    assert [e.key for e in timeline_of(outage, cast.agent)].count("major_child_attached") == 1
    with pytest.raises(PermissionDenied):
        major.attach_to_major(outage, child, actor=cast.end_user)
    with pytest.raises(ValidationError):
        major.attach_to_major(outage, outage, actor=cast.agent)


def test_stakeholder_update_reaches_every_requester(cast, outage, smtp_settings):
    _declare(cast, outage)
    children = [services.create_incident(actor=user, title="No mail") for user in (cast.colleague, cast.outsider)]
    for child in children:
        major.attach_to_major(outage, child, actor=cast.agent)
    smtp_settings.received.clear()

    major.post_update(outage, actor=cast.lead, body="The mail server is being restored; next update at 15:00.")
    relay_all()

    for incident in (outage, *children):
        reply = IncidentComment.objects.get(incident=incident, author=cast.lead)
        assert reply.body.startswith("The mail server is being restored") and not reply.is_internal
        assert Incident.objects.get(pk=incident.pk).first_response_at is not None or incident.pk == outage.pk
    mailed = {m["To"] for m in smtp_settings.received}
    assert {cast.end_user.email, cast.colleague.email, cast.outsider.email} <= mailed
    assert all("[INC-" in subject_of(m) for m in smtp_settings.received)
    assert Notification.objects.filter(recipient=cast.outsider, key__contains=":reply:").count() == 1
    with pytest.raises(ValidationError):
        major.post_update(outage, actor=cast.lead, body="  ")
    with pytest.raises(PermissionDenied):
        major.post_update(outage, actor=cast.agent2, body="Not mine to send")


def test_a_large_update_is_delivered_in_batches(cast, outage, monkeypatch):
    from incidents import major_updates

    monkeypatch.setattr(major_updates, "BATCH", 2)
    _declare(cast, outage)
    for n in range(5):
        major.attach_to_major(outage, services.create_incident(actor=cast.colleague, title=f"No mail {n}"),
                              actor=cast.agent)
    event = major.post_update(outage, actor=cast.lead, body="Restored.")
    relay_all()
    assert IncidentComment.objects.filter(author=cast.lead, body="Restored.").count() == 6
    assert major_updates.deliver_update(event.pk) == 0  # a repeated delivery sends nothing twice


def test_affects_me_too_attaches_once(cast, outage):
    _declare(cast, outage)
    mine, created = major.join_major(outage, actor=cast.colleague)
    again, created_again = major.join_major(outage, actor=cast.colleague)
    assert created and not created_again and mine.pk == again.pk
    assert mine.parent_id == outage.pk and mine.requester == cast.colleague and mine.service == cast.service
    assert Incident.objects.filter(requester=cast.colleague).count() == 1


def test_affects_me_too_attaches_my_open_incident_on_that_service(cast, outage):
    _declare(cast, outage)
    own = services.create_incident(actor=cast.colleague, title="Outlook offline", service=cast.service)
    joined, created = major.join_major(outage, actor=cast.colleague)
    assert not created and joined.pk == own.pk and joined.parent_id == outage.pk


def test_affects_me_too_on_a_closed_major_is_a_conflict(cast, outage):
    _declare(cast, outage)
    _resolve(cast, outage)
    with pytest.raises(Conflict):
        major.join_major(outage, actor=cast.colleague)
    assert not Incident.objects.filter(requester=cast.colleague).exists()


def test_closing_needs_the_review(cast, outage):
    _declare(cast, outage)
    resolved = _resolve(cast, outage)
    with pytest.raises(Conflict):
        services.transition_incident(resolved, Action.CLOSE, actor=cast.agent)
    with pytest.raises(ValidationError) as error:
        major.review_major(resolved, actor=cast.lead, review=" ")
    assert "review" in error.value.message_dict
    assert Incident.objects.get(pk=outage.pk).state == State.RESOLVED
    major.review_major(resolved, actor=cast.agent, review="Disk filled up; alerting added.")  # the manager
    closed = services.transition_incident(Incident.objects.get(pk=outage.pk), Action.CLOSE, actor=cast.agent)
    assert closed.state == State.CLOSED


def test_auto_close_waits_for_the_review(cast, outage, settings):
    settings.INCIDENT_AUTO_CLOSE_DAYS = 0
    _declare(cast, outage)
    _resolve(cast, outage)
    assert services.auto_close_resolved() == 0
    assert Incident.objects.get(pk=outage.pk).state == State.RESOLVED


def test_the_review_raises_a_problem(cast, outage):
    pytest.importorskip("problems.services")
    _declare(cast, outage)
    child = services.create_incident(actor=cast.colleague, title="No mail")
    major.attach_to_major(outage, child, actor=cast.agent)
    resolved = _resolve(cast, outage)
    process = major.review_major(resolved, actor=cast.lead, review="Disk filled up; alerting added.")
    assert process.problem_id is not None
    assert "major_problem_raised" in [e.key for e in timeline_of(outage, cast.lead)]


def test_end_users_see_majors_of_their_services_or_organisation(cast, outage):
    _declare(cast, outage)
    stranger = UserFactory(role="end_user")
    assert [m.pk for m in major.ongoing_for(cast.colleague)] == [outage.pk]  # same organisation
    assert major.ongoing_for(stranger) == []
    services.create_incident(actor=stranger, title="Old mail question", service=cast.service)
    assert [m.pk for m in major.ongoing_for(stranger)] == [outage.pk]  # a service they use


def test_the_major_incidents_own_requester_is_not_given_a_second_incident(cast, outage):
    _declare(cast, outage)
    mine, created = major.join_major(outage, actor=cast.end_user)
    assert (mine.pk, created) == (outage.pk, False)
    [banner] = major.ongoing_for(cast.end_user)
    assert banner.joined.pk == outage.pk
    assert Incident.objects.filter(requester=cast.end_user).count() == 1


def test_an_incident_marked_major_by_hand_is_declared_to_name_its_manager(cast, outage):
    outage = services.update_incident(outage, actor=cast.agent, version=outage.version, is_major=True)
    _resolve(cast, outage)
    with pytest.raises(Conflict):
        major.review_major(outage, actor=cast.lead, review="Nobody named a manager.")
    services.reopen_incident(Incident.objects.get(pk=outage.pk), actor=cast.agent, comment="Not yet")
    declared = major.declare_major(Incident.objects.get(pk=outage.pk), actor=cast.lead, manager=cast.agent)
    assert MajorIncident.objects.get(incident=declared).manager == cast.agent


def test_an_administrator_marks_a_service_critical_and_its_p1s_are_proposed(cast):
    from servicedesk import services as desk_services

    desk_services.update_service(cast.service, actor=cast.admin, is_critical=True)
    incident = services.create_incident(actor=cast.agent, title="Mail down", service=cast.service,
                                        impact=Impact.EXTENSIVE, urgency=Urgency.CRITICAL)
    assert MajorIncident.objects.get(incident=incident).status == MajorStatus.PROPOSED
