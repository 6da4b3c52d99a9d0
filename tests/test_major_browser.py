"""In headless Chromium: a lead declares a major incident and posts an update; an end user sees it on the portal's
home page and says "this affects me too"; the next update reaches that user's incident and the first requester's."""

from core import outbox
from core.roles import Role
from incidents import services
from incidents.models import Incident, IncidentComment
from tests.browser import BROWSER_TESTS, signed_in_page
from tests.factories import AssignmentGroupFactory, OrganisationFactory, ServiceFactory, UserFactory

pytestmark = BROWSER_TESTS


def relay_all():
    """What a worker does once the update commits: the outbox's deliveries (and the mails they queue)."""
    while outbox.relay()[0]:
        pass


def test_lead_runs_a_major_incident_and_an_end_user_joins(live_server, browser, transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    org = OrganisationFactory(name="Acme", code="acme")
    alice = UserFactory(username="alice", organisation=org, role=Role.END_USER)
    carol = UserFactory(username="carol", organisation=org, role=Role.END_USER)
    agent = UserFactory(username="bob", first_name="Bob", last_name="Builder", organisation=None, role=Role.AGENT)
    lead = UserFactory(username="lena", organisation=None, role=Role.TEAM_LEAD)
    group = AssignmentGroupFactory(name="Service desk", lead=lead)
    group.members.add(agent, lead)
    mail = ServiceFactory(name="E-mail", support_group=group)
    outage = services.create_incident(actor=agent, requester=alice, title="Nobody can send mail", service=mail)
    base = live_server.url

    desk, desk_errors = signed_in_page(browser, base, "lena")
    desk.wait_for_selector("[data-testid=queue-table]")
    desk.fill("#id_q", outage.number)
    desk.click(f"[data-testid=queue-table] a:has-text('{outage.number}')")
    desk.wait_for_selector("[data-testid=major-declare-form]")
    desk.select_option("#id_declare-manager", label=str(agent))
    desk.fill("#id_declare-summary", "Mail is down for the whole company.")
    desk.click("[data-testid=major-declare-form] button[type=submit]")
    desk.wait_for_selector("[data-testid=major-panel]")
    assert desk.inner_text("[data-testid=major-manager]") == str(agent)
    desk.fill("#id_update-body", "We are restoring the mail server; next update in 30 minutes.")
    desk.click("[data-testid=major-update-form] button[type=submit]")
    desk.wait_for_selector("[data-testid=major-timeline] li:has-text('next update in 30 minutes')")
    relay_all()

    portal, portal_errors = signed_in_page(browser, base, "carol")
    portal.wait_for_selector("[data-testid=major-banner]")
    assert portal.inner_text("[data-testid=major-banner-title]") == "Nobody can send mail"
    assert "next update in 30 minutes" in portal.inner_text("[data-testid=major-banner-update]")
    portal.click("[data-testid=major-affects-me]")
    portal.wait_for_selector("[data-testid=incident-title]")
    mine = Incident.objects.get(requester=carol)
    assert mine.parent_id == outage.pk and mine.number in portal.url

    desk.reload()
    desk.wait_for_selector(f"[data-testid=major-children] a:has-text('{mine.number}')")
    desk.fill("#id_update-body", "Mail is flowing again.")
    desk.click("[data-testid=major-update-form] button[type=submit]")
    desk.wait_for_selector("[data-testid=major-timeline] li:has-text('Mail is flowing again.')")
    relay_all()

    portal.reload()
    assert "Mail is flowing again." in portal.inner_text("[data-testid=conversation]")
    assert IncidentComment.objects.filter(incident=outage, body="Mail is flowing again.", is_internal=False).exists()
    assert desk_errors == [] and portal_errors == []
