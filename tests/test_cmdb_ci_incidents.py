"""A configuration item's page lists the incidents linked to it: open ones first, newest first, at most 20 with the
count of all, only those the viewer may see, at a constant number of queries."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cmdb import testing as cmdb
from incidents import ci_services, services
from incidents.choices import Action, ResolutionCode
from incidents.models import CILink, IncidentConfigurationItem
from tests.factories import IncidentFactory
from tests.sla_helpers import at

pytestmark = pytest.mark.django_db

MONDAY = (2025, 6, 2)




@pytest.fixture
def estate(cast):
    server, service = cmdb.make_class("server"), cmdb.make_class("svc", is_service=True)
    return {
        "srv": cmdb.make_ci(server, "srv-1", organisation=cast.org),
        "other": cmdb.make_ci(server, "srv-2", organisation=cast.org),
        "mail": cmdb.make_ci(service, "E-mail service", organisation=cast.org),
    }


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def ci_page(user, ci):
    response = client_for(user).get(reverse("cmdb:detail", args=[ci.pk]))
    assert response.status_code == 200
    return response.content.decode()


def incidents_panel(page):
    """The CI page's incidents card, as HTML."""
    return page.split('data-testid="ci-incidents"')[1].split('<div class="card mb-3">')[0]


def listed_numbers(page):
    rows = re.findall(r'data-testid="ci-incident">.*?</tr>', incidents_panel(page), re.S)
    return [re.search(r">(INC-\d+)</a>", row).group(1) for row in rows]


def test_linked_incidents_open_first_then_newest(cast, estate, frozen):
    made = {}
    for hour, title in ((9, "Disk full"), (10, "Fan noise"), (11, "Kernel panic")):
        frozen.set(at(*MONDAY, hour))
        made[title] = services.create_incident(actor=cast.end_user, title=title)
    unrelated = services.create_incident(actor=cast.end_user, title="Unrelated printer")
    frozen.set(at(*MONDAY, 12))
    for incident in made.values():
        ci_services.link_configuration_items(incident, actor=cast.agent, items=[estate["srv"]])
    ci_services.link_configuration_items(unrelated, actor=cast.agent, items=[estate["other"]])
    frozen.set(at(*MONDAY, 13))
    services.transition_incident(made["Fan noise"], Action.RESOLVE, actor=cast.agent,
                                 resolution_code=ResolutionCode.SOLVED, resolution_notes="Cleaned the fan.")

    page = ci_page(cast.agent, estate["srv"])
    panel = incidents_panel(page)
    assert listed_numbers(page) == [made["Kernel panic"].number, made["Disk full"].number, made["Fan noise"].number]
    assert 'data-testid="ci-incidents-total">3<' in panel
    kernel = made["Kernel panic"]
    assert f'<a href="/desk/incidents/{kernel.number}/">{kernel.number}</a>' in panel
    assert "Kernel panic" in panel and "Resolved" in panel and "New" in panel
    assert kernel.get_priority_display() in panel
    assert panel.count("2025-06-02 12:00") == 3  # when each was linked, in the current time zone
    assert "Unrelated printer" not in panel and "Showing" not in panel


def test_an_incident_linked_twice_is_listed_once(cast, estate):
    incident = services.create_incident(actor=cast.end_user, title="Mail bounces")
    ci_services.link_configuration_items(incident, actor=cast.agent, items=[estate["mail"]])
    ci_services.link_configuration_items(incident, actor=cast.agent, items=[estate["mail"]],
                                         link=CILink.AFFECTED_SERVICE)
    page = ci_page(cast.agent, estate["mail"])
    assert listed_numbers(page) == [incident.number]
    assert 'data-testid="ci-incidents-total">1<' in incidents_panel(page)


def test_a_ci_without_incidents_says_so(cast, estate):
    page = ci_page(cast.agent, estate["srv"])
    assert 'data-testid="ci-incidents-total">0<' in page and "No incidents you can see" in page


def _link_many(cast, ci, count):
    incidents = [IncidentFactory(requester=cast.end_user, title=f"Outage {n}") for n in range(count)]
    IncidentConfigurationItem.objects.bulk_create([
        IncidentConfigurationItem(incident=incident, configuration_item=ci, added_by=cast.agent)
        for incident in incidents])
    return incidents


def test_twenty_are_shown_with_the_count_of_all_at_a_constant_number_of_queries(cast, estate):
    client = client_for(cast.agent)
    url = reverse("cmdb:detail", args=[estate["srv"].pk])
    client.get(url)  # warm the session and caches

    def measure():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), response.content.decode()

    _link_many(cast, estate["srv"], 1)
    one, _page = measure()
    _link_many(cast, estate["srv"], 24)
    many, page = measure()
    assert many == one
    assert len(listed_numbers(page)) == 20
    panel = incidents_panel(page)
    assert 'data-testid="ci-incidents-total">25<' in panel and "Showing 20 of 25" in panel


def test_viewers_see_only_the_incidents_they_may_see(cast, estate):
    own = services.create_incident(actor=cast.end_user, title="My laptop is slow")
    colleagues = services.create_incident(actor=cast.colleague, title="Payroll export fails")
    for incident in (own, colleagues):
        ci_services.link_configuration_items(incident, actor=cast.agent, items=[estate["srv"]])

    # The colleague's incident is on the CI, but the end user may not see it: not listed, not counted.
    page = ci_page(cast.end_user, estate["srv"])
    panel = incidents_panel(page)
    assert listed_numbers(page) == [own.number]
    assert colleagues.number not in page and "Payroll export fails" not in page
    assert 'data-testid="ci-incidents-total">1<' in panel
    # An end user's link leads to the portal's page of the incident (the desk is for staff).
    assert f'<a href="/portal/incidents/{own.number}/">{own.number}</a>' in panel
    assert client_for(cast.end_user).get(f"/desk/incidents/{own.number}/").status_code == 403

    cast.colleague.sees_organisation_tickets = True
    cast.colleague.save()
    assert sorted(listed_numbers(ci_page(cast.colleague, estate["srv"]))) == sorted([own.number, colleagues.number])
    assert sorted(listed_numbers(ci_page(cast.agent, estate["srv"]))) == sorted([own.number, colleagues.number])
    # Someone who may not see the CI gets no page at all.
    assert client_for(cast.outsider).get(reverse("cmdb:detail", args=[estate["srv"].pk])).status_code == 404
