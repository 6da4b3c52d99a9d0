"""In headless Chromium: an end user types a title on the report page, an article is suggested, they open it and
click "This solved it" — no incident is created and the article counts the deflection. An agent puts an article's
link into a reply from the incident page's knowledge panel."""

from core.roles import Role
from incidents import services as incident_services
from incidents.models import Incident
from knowledge import services
from knowledge.choices import Audience
from knowledge.models import Article, DeflectionEvent
from tests.browser import BROWSER_TESTS, signed_in_page
from tests.factories import OrganisationFactory, UserFactory

pytestmark = BROWSER_TESTS


def _publish(author, reviewer, **fields):
    article = services.create_article(actor=author, audience=Audience.ALL_END_USERS, **fields)
    services.submit_article(article, actor=author, reviewer=reviewer)
    return services.approve_article(article, actor=reviewer)


def test_a_suggested_article_solves_it_and_no_incident_is_created(live_server, browser, transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    org = OrganisationFactory(name="Acme", code="acme")
    UserFactory(username="alice", organisation=org, role=Role.END_USER)
    author = UserFactory(username="bob", organisation=None, role=Role.AGENT)
    reviewer = UserFactory(username="carol", organisation=None, role=Role.AGENT)
    article = _publish(author, reviewer, title="打印机卡纸怎么办", symptoms="打印机提示卡纸。",
                       solution="打开纸盒，取出卡住的纸。")

    page, errors = signed_in_page(browser, live_server.url, "alice")
    page.click("[data-testid=report-incident]")
    page.locator("#id_title").press_sequentially("我的打印机卡纸了", delay=30)
    page.wait_for_selector("[data-testid=kb-suggestion]")
    assert page.inner_text("[data-testid=kb-suggestion]") == "打印机卡纸怎么办"
    page.click("[data-testid=kb-suggestion]")
    page.wait_for_selector("[data-testid=this-solved-it]")
    assert "取出卡住的纸" in page.inner_text("[data-testid=article-solution]")
    page.click("[data-testid=this-solved-it]")
    page.wait_for_selector("[data-testid=report-incident]")
    assert "Your report was not sent." in page.inner_text("main")
    assert not Incident.objects.exists()
    event = DeflectionEvent.objects.get()
    assert event.article_id == article.pk and event.query == "我的打印机卡纸了"
    assert Article.objects.get(pk=article.pk).deflection_count == 1
    assert errors == []


def test_an_agent_inserts_an_article_link_into_a_reply(live_server, browser, transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    org = OrganisationFactory(name="Acme", code="acme")
    alice = UserFactory(username="alice", organisation=org, role=Role.END_USER)
    agent = UserFactory(username="bob", organisation=None, role=Role.AGENT)
    reviewer = UserFactory(username="carol", organisation=None, role=Role.AGENT)
    article = _publish(agent, reviewer, title="VPN disconnects every hour", solution="Update the VPN client.")
    incident = incident_services.create_incident(actor=alice, title="VPN keeps disconnecting")

    page, errors = signed_in_page(browser, live_server.url, "bob")
    page.wait_for_selector("[data-testid=queue-table]")
    page.click(f"[data-testid=queue-table] a:has-text('{incident.number}')")
    page.wait_for_selector("[data-testid=kb-insert-link]")
    page.fill("#id_body", "Please try this:")
    page.click("[data-testid=kb-insert-link]")
    value = page.input_value("#id_body")
    assert value.startswith("Please try this: [VPN disconnects every hour](http")
    assert value.endswith(f"/portal/knowledge/{article.number}/)")
    assert errors == []
