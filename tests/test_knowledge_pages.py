"""The desk's knowledge pages: writing, editing and moving an article through review with the page forms, with the
same answers as the API (field errors, 409 for stale or illegal moves), earlier revisions, and the menu entries."""

import pytest

from knowledge import services
from knowledge.models import Article
from tests.knowledge_helpers import published_article


def test_write_submit_approve_through_the_pages(cast, as_user):
    client = as_user(cast.agent)
    response = client.post("/desk/knowledge/new/", {
        "title": "Printer offline", "symptoms": "Shows *offline*", "solution": "", "tags": "printer, Wifi",
        "audience": "all"})
    article = Article.objects.get()
    assert response.url == f"/desk/knowledge/{article.number}/"
    assert article.tags == ["printer", "wifi"] and article.owner == cast.agent
    page = client.get(response.url).content.decode()
    assert 'data-testid="submit-form"' in page and 'data-testid="action-approve"' not in page

    response = client.post(f"/desk/knowledge/{article.number}/action/", {"action": "submit", "version": 1})
    assert response.status_code == 400 and 'data-field="reviewer"' in response.content.decode()
    client.post(f"/desk/knowledge/{article.number}/action/", {"action": "submit", "version": 1,
                                                              "reviewer": cast.agent2.pk})
    assert Article.objects.get().state == "in_review"

    reviewer = as_user(cast.agent2)
    page = reviewer.get(f"/desk/knowledge/{article.number}/").content.decode()
    assert 'data-testid="action-approve"' in page and 'data-testid="reject-form"' in page
    response = reviewer.post(f"/desk/knowledge/{article.number}/action/", {"action": "approve", "version": 2})
    assert response.status_code == 400 and "published with a solution" in response.content.decode()
    response = reviewer.post(f"/desk/knowledge/{article.number}/action/", {"action": "reject", "version": 2})
    assert response.status_code == 400
    reviewer.post(f"/desk/knowledge/{article.number}/action/", {"action": "reject", "version": 2,
                                                                "reason": "Write the solution."})
    article = Article.objects.get()
    assert article.state == "draft" and article.review_note == "Write the solution."
    assert "Write the solution." in client.get(f"/desk/knowledge/{article.number}/").content.decode()


def test_edit_page_refuses_a_stale_version(cast, as_user):
    article = services.create_article(actor=cast.agent, title="Old")
    client = as_user(cast.agent)
    data = {"title": "New", "audience": "internal", "version": 1}
    assert client.post(f"/desk/knowledge/{article.number}/edit/", data).status_code == 302
    response = client.post(f"/desk/knowledge/{article.number}/edit/", {**data, "title": "Newer"})
    assert response.status_code == 409
    assert Article.objects.get().title == "New"


def test_an_illegal_move_from_the_page_is_409_naming_the_allowed_actions(cast, as_user):
    article = published_article(cast)
    response = as_user(cast.lead).post(f"/desk/knowledge/{article.number}/action/", {"action": "approve"})
    assert response.status_code == 409
    assert "Allowed now: revise, retire." in response.content.decode()


def test_earlier_revisions_can_be_shown(cast, as_user):
    article = published_article(cast, title="First words", solution="First way.")
    article = services.revise_article(article, actor=cast.agent)
    article = services.update_article(article, actor=cast.agent, version=article.version, title="Second words",
                                      solution="Second way.")
    services.submit_article(article, actor=cast.agent, reviewer=cast.agent2)
    services.approve_article(article, actor=cast.agent2)
    client = as_user(cast.agent)
    assert "Second way." in client.get(f"/desk/knowledge/{article.number}/").content.decode()
    page = client.get(f"/desk/knowledge/{article.number}/", {"revision": 1}).content.decode()
    assert "First way." in page and "Revision 1, published" in page
    assert "Second way." not in page


@pytest.mark.parametrize("who, visible, hidden", [
    ("agent", "/desk/knowledge/", None),
    ("end_user", "/portal/knowledge/", "/desk/knowledge/"),
])
def test_menu_entries(cast, as_user, who, visible, hidden):
    page = as_user(getattr(cast, who)).get("/portal/").content.decode()
    assert f'href="{visible}"' in page
    if hidden:
        assert f'href="{hidden}"' not in page


def test_pages_in_chinese(cast, as_user):
    article = published_article(cast, title="打印机卡纸", solution="取出纸。")
    cast.end_user.language = "zh-hans"
    cast.end_user.save()
    client = as_user(cast.end_user)
    page = client.get(f"/portal/knowledge/{article.number}/", {"from": "report"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert "问题已解决" in html and "这篇文章有帮助吗？" in html


def test_make_an_article_from_a_known_error_page_and_api(cast, as_user):
    from known_errors.testing import make_known_error
    from tests.api_mixins import api_client

    known_error = make_known_error(cast.agent, publish_as=cast.lead)
    client = as_user(cast.agent)
    assert 'data-testid="make-article"' in client.get(f"/desk/known-errors/{known_error.number}/").content.decode()
    response = client.post(f"/desk/knowledge/from-known-error/{known_error.number}/")
    article = Article.objects.get()
    assert response.url == f"/desk/knowledge/{article.number}/edit/"
    assert (article.solution, article.cause, article.source_record) == (
        "Use the manual feed tray.", "Worn feed rollers.", known_error.number)
    response = api_client(cast.agent2).post("/api/v1/knowledge/articles/from-known-error/",
                                            {"number": known_error.number.lower()}, format="json")
    assert response.status_code == 201 and response.json()["number"] == article.number  # the same draft
    assert api_client(cast.end_user).post("/api/v1/knowledge/articles/from-known-error/",
                                          {"number": known_error.number}, format="json").status_code == 404
    assert as_user(cast.end_user).post(f"/desk/knowledge/from-known-error/{known_error.number}/").status_code == 403


def test_make_an_article_from_an_incident_through_the_api(cast):
    from incidents import services as incident_services
    from tests.api_mixins import api_client

    incident = incident_services.create_incident(actor=cast.end_user, title="Scanner sends no mail")
    url = "/api/v1/knowledge/articles/from-incident/"
    response = api_client(cast.agent).post(url, {"number": incident.number}, format="json")
    assert response.status_code == 400 and "incident" in response.json()
    incident_services.take_incident(incident, actor=cast.agent)
    incident_services.resolve_incident(incident, actor=cast.agent, resolution_code="solved",
                                       resolution_notes="Set the SMTP relay on the scanner.")
    response = api_client(cast.agent).post(url, {"number": incident.number}, format="json")
    assert response.status_code == 201 and response.json()["solution"] == "Set the SMTP relay on the scanner."
