"""The knowledge API: the permission matrix per endpoint (tests.api_mixins), the review flow's answers (409 with the
allowed actions, stale versions, a solution required to publish), and the "knowledge" token scope."""

import pytest

from apitokens import services as token_services
from knowledge import services
from knowledge.choices import Audience
from knowledge.models import Article
from tests.api_mixins import HIDDEN, SEES, EndpointMatrix, api_client, row
from tests.knowledge_helpers import published_article

pytestmark = pytest.mark.django_db


class ArticleEndpoint(EndpointMatrix):
    list_key = "number"

    def subject(self, cast):
        return published_article(cast, title="For Acme", audience=Audience.ORGANISATIONS, organisations=[cast.org])

    def snapshot(self, subject):
        if subject is None:
            return Article.objects.count()
        article = Article.objects.get(pk=subject.pk)
        return (article.version, article.state, article.helpful_count, article.not_helpful_count)


class TestRetrieveOrganisationArticle(ArticleEndpoint):
    path = "/api/v1/knowledge/articles/{subject.number}/"
    expect = row(401, 200, 200, 200, 404, 200, 200, 200, 200)


class TestListOrganisationArticle(ArticleEndpoint):
    path = "/api/v1/knowledge/articles/"
    expect = row(401, SEES, SEES, SEES, HIDDEN, SEES, SEES, SEES, SEES)


class TestRetrieveInternalArticle(ArticleEndpoint):
    path = "/api/v1/knowledge/articles/{subject.number}/"
    expect = row(401, 404, 404, 404, 404, 200, 200, 200, 200)

    def subject(self, cast):
        return published_article(cast, title="Staff only", audience=Audience.INTERNAL)


class TestCreate(ArticleEndpoint):
    method = "post"
    path = "/api/v1/knowledge/articles/"
    expect = row(401, 403, 403, 403, 403, 201, 201, 201, 201)

    def subject(self, cast):
        return None

    def payload(self, cast, subject, user):
        return {"title": "Resetting a password", "solution": "Use the self-service page.", "tags": ["password"],
                "audience": "organisations", "organisations": ["acme"]}


class TestApprove(ArticleEndpoint):
    """Written by the agent, reviewed by agent2: the author may not approve, leads may; end users never see it."""

    method = "post"
    path = "/api/v1/knowledge/articles/{subject.number}/transition/"
    expect = row(401, 404, 404, 404, 404, 403, 200, 200, 200)

    def subject(self, cast):
        article = services.create_article(actor=cast.agent, title="In review", solution="Steps.",
                                          audience=Audience.ALL_END_USERS)
        return services.submit_article(article, actor=cast.agent, reviewer=cast.agent2)

    def payload(self, cast, subject, user):
        return {"action": "approve", "version": subject.version}


class TestVote(ArticleEndpoint):
    method = "post"
    path = "/api/v1/knowledge/articles/{subject.number}/vote/"
    expect = row(401, 200, 200, 200, 404, 200, 200, 200, 200)

    def payload(self, cast, subject, user):
        return {"helpful": True}


class TestSuggestions(ArticleEndpoint):
    path = "/api/v1/knowledge/suggestions/?q=Acme"
    expect = row(401, SEES, SEES, SEES, HIDDEN, SEES, SEES, SEES, SEES)


def test_create_and_answer_with_the_article(cast):
    data = {"title": "打印机卡纸", "symptoms": "纸卡住了", "solution": "**打开**纸盒。", "tags": ["Printer"]}
    response = api_client(cast.agent).post("/api/v1/knowledge/articles/", data, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"].startswith("KB-") and body["state"] == "draft" and body["tags"] == ["printer"]
    assert body["solution_html"] == "<p><strong>打开</strong>纸盒。</p>\n"
    assert body["allowed_actions"] == ["submit", "retire"]
    assert response["Location"].endswith(f"/api/v1/knowledge/articles/{body['number']}/")


@pytest.mark.parametrize("data, field", [
    ({"solution": "no title"}, "title"),
    ({"title": "x", "audience": "everyone"}, "audience"),
    ({"title": "x", "audience": "organisations"}, "organisations"),
    ({"title": "x", "organisations": ["nope"]}, "organisations"),
    ({"title": "x", "state": "published"}, "state"),
    ({"title": "x", "category": 999999}, "category"),
])
def test_bad_input_names_the_field_and_creates_nothing(cast, data, field):
    response = api_client(cast.agent).post("/api/v1/knowledge/articles/", data, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Article.objects.exists()


def test_update_needs_the_current_version(cast):
    article = services.create_article(actor=cast.agent, title="Old")
    client = api_client(cast.agent)
    url = f"/api/v1/knowledge/articles/{article.number}/"
    assert client.patch(url, {"title": "New"}, format="json").status_code == 400
    response = client.patch(url, {"title": "New", "version": 1}, format="json")
    assert response.status_code == 200 and response.json()["title"] == "New" and response.json()["version"] == 2
    stale = client.patch(url, {"title": "Newer", "version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    assert Article.objects.get().title == "New"


def test_illegal_transition_answers_409_with_the_allowed_actions(cast):
    article = services.create_article(actor=cast.agent, title="Draft")
    response = api_client(cast.lead).post(f"/api/v1/knowledge/articles/{article.number}/transition/",
                                          {"action": "approve"}, format="json")
    assert response.status_code == 409
    assert response.json()["allowed"] == ["submit", "retire"] and response.json()["state"] == "draft"


def test_publishing_without_a_solution_answers_400_naming_solution(cast):
    article = services.create_article(actor=cast.agent, title="No solution")
    client = api_client(cast.agent)
    url = f"/api/v1/knowledge/articles/{article.number}/transition/"
    assert client.post(url, {"action": "submit", "reviewer": cast.agent2.pk}, format="json").status_code == 200
    response = api_client(cast.agent2).post(url, {"action": "approve"}, format="json")
    assert response.status_code == 400 and "solution" in response.json()
    assert Article.objects.get().state == "in_review"


def test_submit_without_a_reviewer_names_the_field(cast):
    article = services.create_article(actor=cast.agent, title="Draft", solution="x")
    response = api_client(cast.agent).post(f"/api/v1/knowledge/articles/{article.number}/transition/",
                                           {"action": "submit"}, format="json")
    assert response.status_code == 400 and "reviewer" in response.json()


def test_reject_through_the_api(cast):
    article = services.create_article(actor=cast.agent, title="Draft", solution="x")
    services.submit_article(article, actor=cast.agent, reviewer=cast.agent2)
    url = f"/api/v1/knowledge/articles/{article.number}/transition/"
    assert api_client(cast.agent2).post(url, {"action": "reject"}, format="json").status_code == 400
    response = api_client(cast.agent2).post(url, {"action": "reject", "reason": "Add steps."}, format="json")
    assert response.status_code == 200 and response.json()["review_note"] == "Add steps."


def test_end_users_do_not_see_review_fields(cast):
    article = published_article(cast)
    body = api_client(cast.end_user).get(f"/api/v1/knowledge/articles/{article.number}/").json()
    assert "review_note" not in body and "revisions" not in body and "owner" not in body


def test_token_scope_knowledge_is_required(cast):
    article = published_article(cast)
    _token, key = token_services.create_token(actor=cast.agent, name="x", scopes=["read", "incidents"])
    client = api_client()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    refused = client.get(f"/api/v1/knowledge/articles/{article.number}/")
    assert refused.status_code == 403 and refused.json()["required_scope"] == "knowledge"
    _token, key = token_services.create_token(actor=cast.agent, name="y", scopes=["read", "knowledge"])
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(f"/api/v1/knowledge/articles/{article.number}/").status_code == 200
    assert client.get("/api/v1/knowledge/suggestions/?q=printer").status_code == 200
