"""What readers do with articles: votes (once, movable), views (once per person per day), "This solved it" from the
report page (counted, no incident), and what staff see of it; Markdown is sanitised like incident bodies."""

import datetime

import pytest
from django.utils import timezone

from incidents.models import Incident
from knowledge import services
from knowledge.models import Article, DeflectionEvent
from tests.knowledge_helpers import published_article


@pytest.fixture
def article(cast):
    return published_article(cast, title="Printer jams on tray 2", solution="Open tray 2 and remove the paper.")


def counts(article):
    article.refresh_from_db()
    return article.helpful_count, article.not_helpful_count


def test_a_vote_counts_once_and_moves_when_changed(cast, article, as_user):
    client = as_user(cast.end_user)
    url = f"/portal/knowledge/{article.number}/vote/"
    client.post(url, {"helpful": "yes"})
    client.post(url, {"helpful": "yes"})
    assert counts(article) == (1, 0)
    client.post(url, {"helpful": "no"})
    assert counts(article) == (0, 1)
    as_user(cast.colleague).post(url, {"helpful": "no"})
    assert counts(article) == (0, 2)


def test_a_vote_through_the_api(cast, article, as_user):
    client = as_user(cast.end_user)
    url = f"/api/v1/knowledge/articles/{article.number}/vote/"
    assert client.post(url, {"helpful": True}, content_type="application/json").json() == {
        "helpful_count": 1, "not_helpful_count": 0}
    assert client.post(url, {"helpful": False}, content_type="application/json").json() == {
        "helpful_count": 0, "not_helpful_count": 1}
    response = client.post(url, {"helpful": "maybe"}, content_type="application/json")
    assert response.status_code == 400 and "helpful" in response.json()


def test_a_draft_cannot_be_voted_on_even_by_staff(cast, as_user):
    draft = services.create_article(actor=cast.agent, title="Draft")
    response = as_user(cast.agent2).post(f"/api/v1/knowledge/articles/{draft.number}/vote/", {"helpful": True},
                                         content_type="application/json")
    assert response.status_code == 403


def test_views_are_counted_once_per_person_per_day(cast, article, as_user, monkeypatch):
    client = as_user(cast.end_user)
    for _ in range(3):
        assert client.get(f"/portal/knowledge/{article.number}/").status_code == 200
    as_user(cast.colleague).get(f"/portal/knowledge/{article.number}/")
    article.refresh_from_db()
    assert article.view_count == 2
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    assert services.record_view(article, user=cast.colleague) is True
    assert services.record_view(article, user=cast.colleague) is False
    article.refresh_from_db()
    assert article.view_count == 3


def test_report_page_suggests_articles_while_typing(cast, article, as_user):
    client = as_user(cast.end_user)
    page = client.get("/portal/report/").content.decode()
    assert 'id="kb-deflection"' in page
    partial = client.get("/portal/knowledge/suggestions/", {"title": "printer jam"}, HTTP_HX_REQUEST="true")
    html = partial.content.decode()
    assert "Printer jams on tray 2" in html
    assert f"/portal/knowledge/{article.number}/?from=report" in html
    assert "kb-suggestion" not in client.get("/portal/knowledge/suggestions/", {"title": "zebra"}).content.decode()


def test_this_solved_it_ends_the_report_without_an_incident(cast, article, as_user):
    client = as_user(cast.end_user)
    page = client.get(f"/portal/knowledge/{article.number}/", {"from": "report", "q": "printer jam"})
    assert "This solved it" in page.content.decode()
    assert "This solved it" not in client.get(f"/portal/knowledge/{article.number}/").content.decode()
    response = client.post(f"/portal/knowledge/{article.number}/solved/", {"q": "printer jam"}, follow=True)
    assert response.redirect_chain[-1][0] == "/portal/"
    assert "Your report was not sent." in response.content.decode()
    assert not Incident.objects.exists()
    event = DeflectionEvent.objects.get()
    assert (event.article, event.user, event.query) == (article, cast.end_user, "printer jam")
    article.refresh_from_db()
    assert article.deflection_count == 1
    desk = as_user(cast.agent)
    assert '<td class="text-end" data-testid="deflections">1</td>' in desk.get("/desk/knowledge/").content.decode()
    assert "printer jam" in desk.get(f"/desk/knowledge/{article.number}/").content.decode()


def test_markdown_is_sanitised(cast, as_user):
    article = published_article(cast, solution="Run <script>alert(1)</script> **now** [x](javascript:alert(1))")
    page = as_user(cast.end_user).get(f"/portal/knowledge/{article.number}/").content.decode()
    assert "<script>alert(1)" not in page and "href=\"javascript:" not in page
    assert "<strong>now</strong>" in page


def test_incident_panel_suggests_articles_and_makes_one_from_the_resolution(cast, article, as_user):
    from incidents import services as incident_services

    incident = incident_services.create_incident(actor=cast.end_user, title="The printer jams again")
    client = as_user(cast.agent)
    detail = client.get(f"/desk/incidents/{incident.number}/").content.decode()
    assert f"/desk/knowledge/incident-panel/{incident.number}/" in detail
    panel = client.get(f"/desk/knowledge/incident-panel/{incident.number}/").content.decode()
    assert "Printer jams on tray 2" in panel and "kb-insert-link" in panel
    assert "make-article" not in panel  # not resolved yet
    incident_services.take_incident(incident, actor=cast.agent)
    incident_services.resolve_incident(incident, actor=cast.agent, resolution_code="solved",
                                       resolution_notes="Replaced the pick-up roller.")
    assert "make-article" in client.get(f"/desk/knowledge/incident-panel/{incident.number}/").content.decode()
    response = client.post(f"/desk/knowledge/from-incident/{incident.number}/")
    made = Article.objects.get(source_record=incident.number)
    assert response.url == f"/desk/knowledge/{made.number}/edit/"
    assert made.solution == "Replaced the pick-up roller."
    assert made.number in client.get(f"/desk/knowledge/incident-panel/{incident.number}/").content.decode()
    assert as_user(cast.end_user).get(f"/desk/knowledge/incident-panel/{incident.number}/").status_code == 403
