"""Major-incident pages: the panel on the incident page, the desk's forms (errors name the field, nothing changes),
the list of ongoing majors and proposals, and the portal's banner with "this affects me too"."""

import pytest
from django.test import Client

from incidents import major, services
from incidents.choices import Impact, ResolutionCode, Urgency
from incidents.models import Incident, MajorIncident
from tests.factories import ServiceFactory


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def outage(cast):
    incident = services.create_incident(actor=cast.agent, requester=cast.end_user, title="Mail is down",
                                        service=cast.service, assignment_group=cast.group)
    return services.take_incident(incident, actor=cast.agent)


def test_a_lead_declares_from_the_panel(cast, outage):
    lead = client_for(cast.lead)
    page = lead.get(f"/desk/incidents/{outage.number}/")
    assert 'data-testid="major-slot"' in page.content.decode()
    panel = lead.get(f"/desk/incidents/{outage.number}/major/panel/").content.decode()
    assert 'data-testid="major-declare-form"' in panel
    assert 'data-testid="major-declare-form"' not in client_for(cast.agent).get(
        f"/desk/incidents/{outage.number}/major/panel/").content.decode()

    refused = lead.post(f"/desk/incidents/{outage.number}/major/declare/", {"declare-version": outage.version})
    assert refused.status_code == 400 and 'data-field="manager"' in refused.content.decode()
    answer = lead.post(f"/desk/incidents/{outage.number}/major/declare/",
                       {"declare-manager": cast.agent.pk, "declare-version": outage.version})
    assert answer.status_code == 302
    panel = lead.get(f"/desk/incidents/{outage.number}/major/panel/").content.decode()
    assert 'data-testid="major-panel"' in panel and "Declared a major incident" in panel


def test_agents_cannot_declare(cast, outage):
    answer = client_for(cast.agent).post(f"/desk/incidents/{outage.number}/major/declare/",
                                         {"declare-manager": cast.agent.pk, "declare-version": outage.version})
    assert answer.status_code == 403
    assert not Incident.objects.get(pk=outage.pk).is_major
    assert client_for(cast.end_user).post(f"/desk/incidents/{outage.number}/major/declare/",
                                          {"declare-manager": cast.agent.pk}).status_code in (302, 403)


def test_update_attach_and_review_forms(cast, outage):
    major.declare_major(outage, actor=cast.lead, manager=cast.agent)
    lead = client_for(cast.lead)
    empty = lead.post(f"/desk/incidents/{outage.number}/major/update/", {"update-body": ""})
    assert empty.status_code == 400 and 'data-field="body"' in empty.content.decode()
    missing = lead.post(f"/desk/incidents/{outage.number}/major/attach/", {"attach-child": "INC-999999"})
    assert missing.status_code == 400 and "No such incident." in missing.content.decode()
    child = services.create_incident(actor=cast.colleague, title="No mail")
    attached = lead.post(f"/desk/incidents/{outage.number}/major/attach/", {"attach-child": child.number})
    assert attached.status_code == 302
    assert Incident.objects.get(pk=child.pk).parent_id == outage.pk
    outage.refresh_from_db()
    services.resolve_incident(outage, actor=cast.agent, resolution_code=ResolutionCode.SOLVED, resolution_notes="ok")
    outage.refresh_from_db()
    panel = lead.get(f"/desk/incidents/{outage.number}/major/panel/").content.decode()
    assert 'data-testid="major-review-form"' in panel
    blank = lead.post(f"/desk/incidents/{outage.number}/major/review/",
                      {"review-review": "", "review-version": outage.version})
    assert blank.status_code == 400 and 'data-field="review"' in blank.content.decode()


def test_proposals_show_on_the_incident_and_in_the_list(cast):
    critical = ServiceFactory(name="Payroll", is_critical=True)
    incident = services.create_incident(actor=cast.agent, title="Payroll down", service=critical,
                                        impact=Impact.EXTENSIVE, urgency=Urgency.CRITICAL)
    lead = client_for(cast.lead)
    assert 'data-testid="major-proposal"' in lead.get(
        f"/desk/incidents/{incident.number}/major/panel/").content.decode()
    listing = lead.get("/desk/incidents/major/").content.decode()
    assert incident.number in listing
    assert lead.post(f"/desk/incidents/{incident.number}/major/dismiss/").status_code == 302
    assert MajorIncident.objects.get(incident=incident).status == "dismissed"
    assert incident.number not in lead.get("/desk/incidents/major/").content.decode()


def test_portal_banner_and_affects_me(cast, outage):
    major.declare_major(outage, actor=cast.lead, manager=cast.agent)
    major.post_update(outage, actor=cast.lead, body="Working on it; next update at noon.")
    colleague = client_for(cast.colleague)
    home = colleague.get("/portal/").content.decode()
    assert 'data-testid="major-banner"' in home and "next update at noon" in home
    assert 'data-testid="major-banner"' not in client_for(cast.outsider).get("/portal/").content.decode()

    joined = colleague.post(f"/portal/major/{outage.number}/affects-me/")
    mine = Incident.objects.get(requester=cast.colleague)
    assert joined.status_code == 302 and joined["Location"].endswith(f"/portal/incidents/{mine.number}/")
    assert mine.parent_id == outage.pk
    colleague.post(f"/portal/major/{outage.number}/affects-me/")
    assert Incident.objects.filter(requester=cast.colleague).count() == 1
    assert 'data-testid="major-joined"' in colleague.get("/portal/").content.decode()
    assert client_for(cast.outsider).post(f"/portal/major/{outage.number}/affects-me/").status_code == 404


def test_portal_affects_me_on_a_closed_major_shows_the_message(cast, outage):
    major.declare_major(outage, actor=cast.lead, manager=cast.agent)
    outage.refresh_from_db()
    services.resolve_incident(outage, actor=cast.agent, resolution_code=ResolutionCode.SOLVED, resolution_notes="ok")
    answer = client_for(cast.colleague).post(f"/portal/major/{outage.number}/affects-me/")
    assert answer.status_code == 409 and "This major incident is over" in answer.content.decode()
    assert not Incident.objects.filter(requester=cast.colleague).exists()
