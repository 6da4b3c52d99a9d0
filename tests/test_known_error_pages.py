"""The desk's known-error pages and the incident page's panel: who sees them (end users: 404), the searchable list,
writing, editing and moving a known error, and matching known errors shown on an incident, linked in one click."""

import pytest

from cmdb import testing as cmdb
from incidents import ci_services
from incidents import services as incident_services
from known_errors import services
from known_errors.choices import State
from known_errors.models import KnownError
from known_errors.testing import make_known_error
from tests.factories import CategoryFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(cast):
    return make_known_error(cast.agent, publish_as=cast.lead, title="打印机卡纸", workaround="Use **tray 2**.")


def test_end_users_get_404_on_every_known_error_page(cast, as_user, published):
    client = as_user(cast.end_user)
    incident = incident_services.create_incident(actor=cast.end_user, title="Printer jams")
    for url in ("/desk/known-errors/", "/desk/known-errors/new/", f"/desk/known-errors/{published.number}/",
                f"/desk/known-errors/{published.number}/edit/",
                f"/desk/known-errors/for-incident/{incident.number}/"):
        assert client.get(url).status_code == 404, url
    response = client.post(f"/desk/known-errors/{published.number}/transition/", {"action": "retire"})
    assert response.status_code == 404
    response = client.post(f"/desk/known-errors/for-incident/{incident.number}/link/{published.number}/")
    assert response.status_code == 404
    assert KnownError.objects.get(pk=published.pk).state == State.PUBLISHED


def test_the_list_filters_and_searches(cast, as_user, published):
    service = ServiceFactory(name="Printing")
    draft = make_known_error(cast.agent, title="VPN drops", service=service)
    client = as_user(cast.agent)
    page = client.get("/desk/known-errors/").content.decode()
    assert published.number in page and draft.number in page
    page = client.get("/desk/known-errors/", {"q": "打印"}).content.decode()
    assert published.number in page and draft.number not in page
    page = client.get("/desk/known-errors/", {"state": "draft"}).content.decode()
    assert published.number not in page and draft.number in page
    page = client.get("/desk/known-errors/", {"service": service.pk}).content.decode()
    assert published.number not in page and draft.number in page
    response = client.get("/desk/known-errors/", {"service": "nonsense"})
    assert response.status_code == 200 and 'data-field="service"' in response.content.decode()


def test_an_agent_writes_and_edits_and_a_lead_publishes(cast, as_user):
    estate_ci = cmdb.make_ci(cmdb.make_class("server"), "srv-print")
    client = as_user(cast.agent)
    response = client.post("/desk/known-errors/new/", {"title": "Toner smudges", "symptoms": "Grey lines",
                                                        "configuration_items": "srv-print\n"})
    known_error = KnownError.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/desk/known-errors/{known_error.number}/"
    assert list(known_error.configuration_items.all()) == [estate_ci]
    response = client.post("/desk/known-errors/new/", {"title": "Bad CI", "configuration_items": "nope"})
    assert response.status_code == 400 and 'data-field="configuration_items"' in response.content.decode()

    page = client.get(f"/desk/known-errors/{known_error.number}/").content.decode()
    assert 'data-testid="action-publish"' not in page  # an agent does not publish
    response = client.post(f"/desk/known-errors/{known_error.number}/transition/", {"action": "publish",
                                                                                     "version": 1})
    assert response.status_code == 403

    lead = as_user(cast.lead)
    page = lead.get(f"/desk/known-errors/{known_error.number}/").content.decode()
    assert 'data-testid="action-publish"' in page
    response = lead.post(f"/desk/known-errors/{known_error.number}/transition/", {"action": "publish",
                                                                                   "version": 1})
    assert response.status_code == 400 and "workaround" in response.content.decode()  # named, nothing changed
    assert KnownError.objects.get().state == State.DRAFT

    response = lead.post(f"/desk/known-errors/{known_error.number}/edit/", {
        "title": "Toner smudges", "workaround": "Shake the <script>x</script> cartridge", "version": 1,
        "configuration_items": ""})
    assert response.status_code == 302
    response = lead.post(f"/desk/known-errors/{known_error.number}/transition/", {"action": "publish",
                                                                                   "version": 2})
    assert response.status_code == 302
    page = lead.get(f"/desk/known-errors/{known_error.number}/").content.decode()
    assert "Published" in page and "<script>x" not in page  # Markdown sanitised on display
    response = lead.post(f"/desk/known-errors/{known_error.number}/transition/", {"action": "publish",
                                                                                   "version": 3})
    assert response.status_code == 409 and "Allowed now: retire, revise" in response.content.decode()
    response = lead.post(f"/desk/known-errors/{known_error.number}/edit/", {"title": "Stale", "version": 1})
    assert response.status_code == 409 and KnownError.objects.get().title == "Toner smudges"


def test_the_create_form_ignores_a_problem_when_problems_are_absent(cast, as_user):
    client = as_user(cast.agent)
    assert client.get("/desk/known-errors/new/", {"problem": "PRB-000001"}).status_code == 200
    response = client.post("/desk/known-errors/new/?problem=PRB-000001", {"title": "From a problem"})
    assert response.status_code == 302 and KnownError.objects.get().title == "From a problem"


@pytest.fixture
def world(cast):
    """An incident on srv-1, the E-mail service and the Mail category, titled in English and Chinese, and known
    errors matching it in each way (and some that must never show)."""
    srv = cmdb.make_ci(cmdb.make_class("server"), "srv-1")
    category = CategoryFactory(name="Mail")
    incident = incident_services.create_incident(actor=cast.agent, requester=cast.end_user,
                                                 title="Outlook 无法同步 mailbox", service=cast.service,
                                                 category=category)
    ci_services.link_configuration_items(incident, actor=cast.agent, items=[srv])
    other_service = ServiceFactory(name="VPN")
    lead = cast.lead
    return {
        "incident": incident,
        "ci": make_known_error(cast.agent, publish_as=lead, title="Disk full on srv-1", configuration_items=[srv]),
        "service": make_known_error(cast.agent, publish_as=lead, title="Exchange throttling",
                                    service=cast.service),
        "category": make_known_error(cast.agent, publish_as=lead, title="Quota", category=category),
        "words": make_known_error(cast.agent, publish_as=lead, title="Mailbox corrupt after upgrade"),
        "chinese": make_known_error(cast.agent, publish_as=lead, title="客户端无法同步", service=other_service),
        "draft": make_known_error(cast.agent, title="Disk full draft", configuration_items=[srv]),
        "retired": services.retire_known_error(
            make_known_error(cast.agent, publish_as=lead, title="Old mailbox issue", service=cast.service),
            actor=lead),
        "unrelated": make_known_error(cast.agent, publish_as=lead, title="Printer jams", service=other_service),
    }


def _panel_numbers(html):
    import re

    return re.findall(r'data-testid="known-error-match" data-number="([^"]+)"', html)


def test_the_panel_lists_matching_published_known_errors_best_first(cast, as_user, world):
    client = as_user(cast.agent)
    incident = world["incident"]
    page = client.get(f"/desk/incidents/{incident.number}/").content.decode()
    assert f'/desk/known-errors/for-incident/{incident.number}/' in page  # the page loads the panel by htmx
    html = client.get(f"/desk/known-errors/for-incident/{incident.number}/").content.decode()
    shown = _panel_numbers(html)
    assert len(shown) == 5  # at most five
    assert shown[:3] == [world["ci"].number, world["service"].number, world["category"].number]
    assert set(shown[3:]) == {world["words"].number, world["chinese"].number}
    for hidden in ("draft", "retired", "unrelated"):
        assert world[hidden].number not in html
    assert "Use the manual feed tray." in html  # each with its workaround


def test_linking_from_the_panel_counts_once(cast, as_user, world):
    client = as_user(cast.agent)
    incident, known_error = world["incident"], world["service"]
    url = f"/desk/known-errors/for-incident/{incident.number}/link/{known_error.number}/"
    response = client.post(url, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="known-error-linked"' in html  # the panel, swapped in
    assert "linked to" in html
    client.post(url, HTTP_HX_REQUEST="true")
    response = client.post(url)  # without htmx: back to the incident page
    assert response.status_code == 302 and response["Location"] == f"/desk/incidents/{incident.number}/"
    assert KnownError.objects.get(pk=known_error.pk).link_count == 1
    page = client.get(f"/desk/known-errors/{known_error.number}/").content.decode()
    assert incident.number in page and "Causes" in page


def test_a_draft_cannot_be_linked_from_the_panel(cast, as_user, world):
    client = as_user(cast.agent)
    url = f"/desk/known-errors/for-incident/{world['incident'].number}/link/{world['draft'].number}/"
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert KnownError.objects.get(pk=world["draft"].pk).link_count == 0


def test_pages_in_chinese(cast, as_user, published):
    cast.agent.language = "zh-hans"
    cast.agent.save()
    client = as_user(cast.agent)
    page = client.get("/desk/known-errors/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已知错误" in page and "已发布" in page


def test_the_menu_lists_known_errors_under_problems_for_staff_only(cast, as_user):
    from records.registry import MENU

    entry = next(e for e in MENU if e.url_name == "known_errors:list")
    assert str(entry.section) == "Problems" and entry.audience == "agent"
    assert 'data-testid="menu-known-errors"' in as_user(cast.agent).get("/desk/known-errors/").content.decode()
    assert 'data-testid="menu-known-errors"' not in as_user(cast.end_user).get("/portal/").content.decode()
