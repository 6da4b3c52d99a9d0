"""What a requester is told in the portal about when to expect a response and a resolution (customer agreements
only; internal OLAs and supplier contracts never show), on their incident's page and in their list.

Times are controlled (tests.sla_helpers.FrozenClock); the calendar is Mon–Fri 08:00–18:00 in Asia/Shanghai.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.choices import Action, ResolutionCode
from sla.choices import AgreementKind, ClockState
from sla.models import SLAClock
from tests.sla_helpers import at, make_agreement, make_calendar, report, targets

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
MONDAY = (2025, 6, 2)  # an ordinary week in Shanghai: no holidays from 2 to 13 June 2025




@pytest.fixture
def office(cast):
    return make_calendar(cast.admin)


@pytest.fixture
def agreements(cast, office):
    """Two customer agreements (the earlier resolution is the premium one's) and two internal ones timing sooner."""
    return {
        "standard": make_agreement(cast.admin, office, name="Standard",
                                   target_rows=targets(P3_response=H, P3_resolution=4 * H)),
        "premium": make_agreement(cast.admin, office, name="Premium", target_rows=targets(P3_resolution=2 * H)),
        "ola": make_agreement(cast.admin, office, name="Desk OLA", kind=AgreementKind.OLA,
                              target_rows=targets(P3_response=timedelta(minutes=15), P3_resolution=timedelta(
                                  minutes=30))),
        "uc": make_agreement(cast.admin, office, name="Printer vendor UC", kind=AgreementKind.UC,
                             target_rows=targets(P3_resolution=timedelta(minutes=90))),
    }


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def portal_page(user, incident):
    response = client_for(user).get(f"/portal/incidents/{incident.number}/")
    assert response.status_code == 200
    return response.content.decode()


def my_list(user, show="open"):
    response = client_for(user).get(f"/portal/?show={show}")
    assert response.status_code == 200
    return response.content.decode()


def test_requester_sees_when_to_expect_a_response_and_the_resolution(cast, agreements, frozen):
    frozen.set(at(*MONDAY, 9))
    incident = report(cast)
    assert {c.sla.kind for c in SLAClock.objects.filter(incident=incident).select_related("sla")} == {
        "sla", "ola", "uc"}  # the internal clocks exist and run ...
    page = portal_page(cast.end_user, incident)
    assert "First response expected by 2025-06-02 10:00" in page
    # ... two customer agreements time the resolution (13:00 and 11:00): the earliest is promised.
    assert "Resolution expected by 2025-06-02 11:00" in page and "13:00" not in page
    # ... but their due times (09:15, 09:30, 10:30) and names never reach the requester.
    for internal in ("09:15", "09:30", "10:30", "Desk OLA", "Printer vendor UC", "Standard", "Premium"):
        assert internal not in page, internal

    listing = my_list(cast.end_user)
    assert incident.number in listing and "Resolution expected by 2025-06-02 11:00" in listing
    assert "First response expected" not in listing  # the list shows the resolution only
    assert "09:30" not in listing and "10:30" not in listing


def test_internal_agreements_alone_show_nothing(cast, office, frozen):
    make_agreement(cast.admin, office, name="Desk OLA", kind=AgreementKind.OLA,
                   target_rows=targets(P3_response=H, P3_resolution=4 * H))
    make_agreement(cast.admin, office, name="Vendor UC", kind=AgreementKind.UC,
                   target_rows=targets(P3_resolution=8 * H))
    frozen.set(at(*MONDAY, 9))
    incident = report(cast)
    assert SLAClock.objects.filter(incident=incident, state=ClockState.RUNNING).count() == 3
    page, listing = portal_page(cast.end_user, incident), my_list(cast.end_user)
    for html in (page, listing):
        assert 'data-testid="expectation-' not in html and "expected by" not in html
        assert "10:00" not in html and "13:00" not in html
    assert 'data-testid="expectations"' not in page
    # The agent still sees every clock on the desk.
    desk = client_for(cast.agent).get(f"/desk/incidents/{incident.number}/").content.decode()
    assert "Desk OLA" in desk and "Vendor UC" in desk


def test_times_are_shown_in_the_current_time_zone(cast, agreements, frozen, settings):
    frozen.set(at(*MONDAY, 9))
    incident = report(cast)
    settings.TIME_ZONE = "Europe/Berlin"  # 11:00 in Shanghai (UTC+8) is 05:00 in Berlin (UTC+2 in June)
    page = portal_page(cast.end_user, incident)
    assert "Resolution expected by 2025-06-02 05:00" in page
    assert "First response expected by 2025-06-02 04:00" in page


def test_waiting_for_the_requester_or_a_supplier_puts_it_on_hold_and_a_response_shows_when(cast, agreements,
                                                                                             frozen):
    frozen.set(at(*MONDAY, 9))
    incident = report(cast)
    frozen.set(at(*MONDAY, 9, 20))
    incident = services.transition_incident(incident, Action.TAKE, actor=cast.agent)
    incident = services.transition_incident(incident, Action.PEND_USER, actor=cast.agent, comment="Which printer?")
    page = portal_page(cast.end_user, incident)
    assert "Responded 2025-06-02 09:20" in page
    assert page.count("On hold while we wait for you") == 1 and "Resolution expected" not in page
    assert "On hold while we wait for you" in my_list(cast.end_user)

    frozen.set(at(*MONDAY, 10))
    services.add_comment(incident, actor=cast.end_user, body="The one on floor 3.")  # resumes the incident
    incident.refresh_from_db()
    # 20 min of the premium 2 h were used before the pause: 1 h 40 left from 10:00.
    page = portal_page(cast.end_user, incident)
    assert "Resolution expected by 2025-06-02 11:40" in page
    assert "11:10" not in page and "10:10" not in page  # the supplier contract's and the OLA's, sooner

    frozen.set(at(*MONDAY, 10, 30))
    incident = services.transition_incident(incident, Action.PEND_SUPPLIER, actor=cast.agent,
                                            comment="Waiting for a spare part.")
    page = portal_page(cast.end_user, incident)
    assert "On hold while we wait for a supplier" in page and "wait for you" not in page
    assert "Resolution expected" not in page and "Responded 2025-06-02 09:20" in page


def test_running_late_is_said_plainly(cast, agreements, frozen):
    frozen.set(at(*MONDAY, 9))
    incident = report(cast)
    frozen.set(at(*MONDAY, 12))  # past the 10:00 response and the 11:00 resolution, before any scan ran
    page = portal_page(cast.end_user, incident)
    assert "Resolution expected by 2025-06-02 11:00" in page
    assert page.count("taking longer than planned") == 2


def test_resolved_and_closed_incidents_say_when(cast, agreements, frozen):
    frozen.set(at(*MONDAY, 9))
    incident = report(cast)
    frozen.set(at(*MONDAY, 9, 30))
    incident = services.transition_incident(incident, Action.TAKE, actor=cast.agent, comment="On it.")
    frozen.set(at(*MONDAY, 14))
    incident = services.transition_incident(incident, Action.RESOLVE, actor=cast.agent,
                                            resolution_code=ResolutionCode.SOLVED, resolution_notes="New toner.")
    page = portal_page(cast.end_user, incident)
    assert "Responded 2025-06-02 09:30" in page and "Resolved 2025-06-02 14:00" in page
    assert "expected by" not in page and "taking longer" not in page
    assert "Resolved 2025-06-02 14:00" in my_list(cast.end_user, show="done")


def test_a_cancelled_incident_promises_nothing(cast, agreements, frozen):
    frozen.set(at(*MONDAY, 9))
    incident = report(cast)
    incident = services.transition_incident(incident, Action.CANCEL, actor=cast.lead)
    assert set(SLAClock.objects.filter(incident=incident).values_list("state", flat=True)) == {ClockState.CANCELLED}
    page = portal_page(cast.end_user, incident)
    assert 'data-testid="expectations"' not in page and "expected by" not in page and "Responded" not in page
    assert 'data-testid="expectation-' not in my_list(cast.end_user, show="done")


def test_only_those_who_may_see_the_incident_see_its_due_times(cast, agreements, frozen):
    frozen.set(at(*MONDAY, 9))
    incident = report(cast)
    for stranger in (cast.outsider, cast.colleague):  # the colleague does not see the organisation's tickets
        assert client_for(stranger).get(f"/portal/incidents/{incident.number}/").status_code == 404
        listing = my_list(stranger)
        assert incident.number not in listing and "expected by" not in listing
    cast.colleague.sees_organisation_tickets = True
    cast.colleague.save()
    assert "Resolution expected by 2025-06-02 11:00" in portal_page(cast.colleague, incident)


def test_the_list_costs_the_same_queries_for_one_incident_or_ten(cast, agreements, frozen):
    frozen.set(at(*MONDAY, 9))
    client = client_for(cast.end_user)

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/portal/")
        assert response.status_code == 200
        return len(queries), response.content.decode()

    report(cast, title="First")
    one, html = count()
    assert html.count("Resolution expected by 2025-06-02 11:00") == 1
    for n in range(9):
        report(cast, title=f"Another {n}")
    ten, html = count()
    assert html.count("Resolution expected by 2025-06-02 11:00") == 10
    assert ten == one


def test_the_incident_page_reads_the_clocks_once(cast, agreements, frozen):
    frozen.set(at(*MONDAY, 9))
    incident = report(cast)
    client = client_for(cast.end_user)
    client.get(f"/portal/incidents/{incident.number}/")  # warm caches (session, language)
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/portal/incidents/{incident.number}/")
    clock_queries = [q["sql"] for q in queries if '"sla_slaclock"' in q["sql"]]
    assert len(clock_queries) == 1 and "'sla'" in clock_queries[0]  # customer agreements' clocks only
