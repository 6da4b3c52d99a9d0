"""The major-incident API: declare (leads only), updates, attach, review, and "affects me" for end users."""

import pytest

from core import outbox
from incidents import major, services
from incidents.choices import ResolutionCode
from incidents.models import Incident, IncidentComment, MajorIncident, MajorStatus
from tests.api_mixins import api_client


@pytest.fixture
def outage(cast):
    incident = services.create_incident(actor=cast.agent, requester=cast.end_user, title="Mail is down",
                                        service=cast.service, assignment_group=cast.group)
    return services.take_incident(incident, actor=cast.agent)


def url(incident, tail=""):
    return f"/api/v1/incidents/{incident.number}/major/{tail}"


@pytest.mark.parametrize("who", ["agent", "end_user"])
def test_only_leads_declare(cast, outage, who):
    answer = api_client(getattr(cast, who)).post(url(outage), {"manager": cast.agent.pk}, format="json")
    assert answer.status_code == 403  # the end user is its requester: they see it, but may not declare
    assert not Incident.objects.get(pk=outage.pk).is_major


def test_declare_update_attach_review(cast, outage):
    lead = api_client(cast.lead)
    answer = lead.post(url(outage), {"manager": cast.agent.pk, "version": outage.version}, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == MajorStatus.ACTIVE and answer.json()["manager"] == cast.agent.pk

    again = lead.post(url(outage), {"manager": cast.agent.pk}, format="json")
    assert again.status_code == 409
    stale = lead.post(url(outage), {"manager": cast.agent.pk, "version": 1}, format="json")
    assert stale.status_code == 409

    child = services.create_incident(actor=cast.outsider, title="No mail")
    attached = lead.post(url(outage, "attach/"), {"child": child.number}, format="json")
    assert attached.status_code == 200 and attached.json()["parent"] == outage.number
    assert lead.post(url(outage, "attach/"), {"child": "INC-999999"}, format="json").json() == {
        "child": ["No such incident."]}

    assert lead.post(url(outage, "updates/"), {"body": ""}, format="json").status_code == 400
    sent = lead.post(url(outage, "updates/"), {"body": "Restoring the mail server."}, format="json")
    assert sent.status_code == 201
    while outbox.relay()[0]:
        pass
    assert IncidentComment.objects.filter(body="Restoring the mail server.", is_internal=False).count() == 2

    early = lead.post(url(outage, "review/"), {"review": "Disk full."}, format="json")
    assert early.status_code == 409  # resolve first
    outage.refresh_from_db()
    services.resolve_incident(outage, actor=cast.agent, resolution_code=ResolutionCode.SOLVED, resolution_notes="ok")
    assert lead.post(url(outage, "review/"), {"review": " "}, format="json").status_code == 400


def test_affects_me(cast, outage):
    major.declare_major(outage, actor=cast.lead, manager=cast.agent)
    client = api_client(cast.colleague)
    first = client.post(f"/api/v1/incidents/{outage.number}/affects-me/", {}, format="json")
    second = client.post(f"/api/v1/incidents/{outage.number}/affects-me/", {}, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["number"] == second.json()["number"] and first.json()["parent"] == outage.number
    assert Incident.objects.filter(requester=cast.colleague).count() == 1
    # Not announced to someone of another organisation who never used the service: not found.
    assert api_client(cast.outsider).post(f"/api/v1/incidents/{outage.number}/affects-me/").status_code == 404


def test_affects_me_on_a_closed_major_is_409(cast, outage):
    major.declare_major(outage, actor=cast.lead, manager=cast.agent)
    outage.refresh_from_db()
    services.resolve_incident(outage, actor=cast.agent, resolution_code=ResolutionCode.SOLVED, resolution_notes="ok")
    answer = api_client(cast.colleague).post(f"/api/v1/incidents/{outage.number}/affects-me/", {}, format="json")
    assert answer.status_code == 409 and answer.json()["detail"]
    assert not Incident.objects.filter(requester=cast.colleague).exists()


def test_review_through_the_api_lets_it_close(cast, outage):
    major.declare_major(outage, actor=cast.lead, manager=cast.agent)
    outage.refresh_from_db()
    services.resolve_incident(outage, actor=cast.agent, resolution_code=ResolutionCode.SOLVED, resolution_notes="ok")
    closing = api_client(cast.agent).post(f"/api/v1/incidents/{outage.number}/transition/",
                                          {"action": "close"}, format="json")
    assert closing.status_code == 409
    reviewed = api_client(cast.agent).post(url(outage, "review/"), {"review": "Disk full; alert added."},
                                           format="json")
    assert reviewed.status_code == 200 and reviewed.json()["status"] == MajorStatus.REVIEWED
    assert MajorIncident.objects.get(incident=outage).review == "Disk full; alert added."
