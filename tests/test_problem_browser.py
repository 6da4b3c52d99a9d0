"""In headless Chromium: a lead raises a problem from an incident page, investigates it, records the root cause
(refused first without it, naming the field), and resolves it together with its open linked incident."""

from incidents import services as incident_services
from incidents.choices import State as IncidentState
from incidents.models import Incident
from problems.choices import ProblemState
from problems.models import Problem
from tests.browser import BROWSER_TESTS, signed_in_page

pytestmark = BROWSER_TESTS


def test_raise_investigate_and_resolve_with_the_linked_incident(live_server, browser, transactional_db, settings):
    from tests.conftest import Cast

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cast = Cast()
    incident = incident_services.create_incident(actor=cast.agent, requester=cast.end_user,
                                                 title="打印机 keeps jamming", assignment_group=cast.group)
    page, errors = signed_in_page(browser, live_server.url, "lead")
    page.goto(f"{live_server.url}/desk/incidents/{incident.number}/")
    page.click("[data-testid=raise-problem]")
    page.fill("#id_title", "Printers on floor 3 jam weekly")
    page.click("[data-testid=raise-problem-submit]")
    page.wait_for_selector("[data-testid=problem-state]")
    problem = Problem.objects.get()
    assert incident.number in page.inner_text("[data-testid=linked-incidents]")

    page.click("[data-testid=action-investigate]")
    page.wait_for_selector("[data-testid=root_cause_found-form]")
    page.click("[data-testid=root_cause_found-form] [data-testid=action-root_cause_found]")
    assert "root cause" in page.inner_text("main").lower()  # refused, naming the field
    assert Problem.objects.get().state == ProblemState.INVESTIGATING
    page.fill("#id_root_cause_found_root_cause", "Worn feed rollers")
    page.select_option("#id_root_cause_found_cause_category", "technical")
    page.click("[data-testid=root_cause_found-form] [data-testid=action-root_cause_found]")
    page.wait_for_selector("[data-testid=resolve-form]")
    assert "Worn feed rollers" in page.inner_text("[data-testid=root-cause]")

    page.fill("#id_resolve_fix_description", "Rollers replaced on every floor-3 printer")
    page.check("#id_resolve_resolve_incidents")
    page.fill("#id_resolve_note", "The printers were repaired; please tell us if it jams again.")
    page.click("[data-testid=resolve-form] [data-testid=action-resolve]")
    page.wait_for_selector("[data-testid=close-form]")
    assert Problem.objects.get(pk=problem.pk).state == ProblemState.RESOLVED
    assert Incident.objects.get(pk=incident.pk).state == IncidentState.RESOLVED  # through its own service
    assert errors == []
