"""Incidents linked to configuration items: the agent links CIs, sees their open incidents and the services hit,
and records the affected services from the impact graph. Pages and API, with who may do it."""

import pytest
from django.test import Client
from pghistory.models import Events
from rest_framework.test import APIClient

from cmdb import testing as cmdb
from incidents import ci_services, services
from incidents.models import CILink

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate(cast):
    """mail-app runs on srv-1; the E-mail service depends on mail-app; VPN is unrelated."""
    server, app, service = cmdb.make_class("server"), cmdb.make_class("app"), cmdb.make_class("svc", is_service=True)
    runs_on = cmdb.make_type("runs_on")
    srv = cmdb.make_ci(server, "srv-1")
    mail_app = cmdb.make_ci(app, "mail-app")
    mail = cmdb.make_ci(service, "E-mail service", organisation=cast.org)
    vpn = cmdb.make_ci(service, "VPN service")
    cmdb.link(mail_app, srv, runs_on)
    cmdb.link(mail, mail_app, runs_on)
    return {"srv": srv, "app": mail_app, "mail": mail, "vpn": vpn}


@pytest.fixture
def incident(cast):
    return services.create_incident(actor=cast.end_user, title="Mail is down")


def test_link_and_fill_affected_services(cast, estate, incident):
    ci_services.link_configuration_items(incident, actor=cast.agent, items=[estate["srv"]])
    overview = ci_services.ci_overview(incident, cast.agent)
    assert [ci.name for ci in overview["cis"]] == ["srv-1"]
    assert [s.name for s in overview["graph"].services] == ["E-mail service"]
    added = ci_services.fill_affected_services(incident, actor=cast.agent)
    assert added == [estate["mail"].pk]
    assert list(incident.ci_links.filter(link=CILink.AFFECTED_SERVICE).values_list(
        "configuration_item__name", flat=True)) == ["E-mail service"]
    assert ci_services.fill_affected_services(incident, actor=cast.agent) == []  # idempotent
    labels = [e.pgh_label for e in Events.objects.tracks(*incident.ci_links.all())]
    assert labels.count("insert") == 2


def test_other_open_incidents_of_a_ci_are_shown(cast, estate, incident):
    other = services.create_incident(actor=cast.colleague, title="Cannot send mail")
    for each in (incident, other):
        ci_services.link_configuration_items(each, actor=cast.agent, items=[estate["srv"]])
    overview = ci_services.ci_overview(incident, cast.agent)
    assert overview["cis"][0].other_open_incidents == 1


def test_end_users_cannot_link_and_bad_ids_are_named(cast, estate, incident):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        ci_services.link_configuration_items(incident, actor=cast.end_user, items=[estate["srv"]])
    with pytest.raises(ValidationError) as error:
        ci_services.link_configuration_items(incident, actor=cast.agent, items=[999999])
    assert "configuration_items" in error.value.message_dict
    assert not incident.ci_links.exists()


def test_desk_panel_link_fill_unlink(cast, estate, incident):
    agent = Client()
    agent.force_login(cast.agent)
    base = f"/desk/incidents/{incident.number}/cis/"
    assert agent.post(base + "link/", {"ci": "srv-1"}).status_code == 302
    panel = agent.get(base).content.decode()
    assert "srv-1" in panel and "E-mail service" in panel and 'data-testid="fill-services"' in panel
    agent.post(base + "fill-services/")
    assert 'data-testid="affected-services"' in agent.get(base).content.decode()
    agent.post(base + f"{estate['srv'].pk}/unlink/", {"link": "affected_ci"})
    assert not incident.ci_links.filter(link=CILink.AFFECTED_CI).exists()
    user = Client()
    user.force_login(cast.end_user)
    assert user.get(base).status_code == 403
    assert user.post(base + "link/", {"ci": "srv-1"}).status_code == 403


def test_api_link_list_fill_unlink(cast, estate, incident):
    api = APIClient()
    api.force_authenticate(cast.agent)
    url = f"/api/v1/incidents/{incident.number}/configuration-items/"
    response = api.post(url, {"configuration_items": [estate["srv"].pk]}, format="json")
    assert response.status_code == 200 and response.json()[0]["name"] == "srv-1"
    assert api.post(url, {"configuration_items": ["x"]}, format="json").status_code == 400
    filled = api.post(f"/api/v1/incidents/{incident.number}/fill-affected-services/").json()
    assert {row["name"] for row in filled} == {"srv-1", "E-mail service"}
    assert api.delete(f"{url}{estate['srv'].pk}/").status_code == 204
    assert api.delete(f"{url}{estate['srv'].pk}/").status_code == 400
    end_user = APIClient()
    end_user.force_authenticate(cast.end_user)
    assert end_user.post(url, {"configuration_items": [estate["srv"].pk]}, format="json").status_code == 403
    outsider = APIClient()
    outsider.force_authenticate(cast.outsider)
    assert outsider.get(url).status_code == 404


def test_desk_panel_names_a_ci_it_cannot_find_and_counts_the_services_it_adds(cast, estate, incident):
    agent = Client()
    agent.force_login(cast.agent)
    base = f"/desk/incidents/{incident.number}/cis/"
    response = agent.post(base + "link/", {"ci": "²"}, follow=True)
    assert "No CI “²”." in response.content.decode()
    agent.post(base + "link/", {"ci": "srv-1"})
    response = agent.post(base + "fill-services/", follow=True)
    assert "1 affected service added from the impact graph." in response.content.decode()
