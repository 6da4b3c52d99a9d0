"""Who reads which article, on the portal page and through the API: staff read everything; an end user reads
published articles meant for every end user or for their organisation — anything else is a 404, never a hint."""

import pytest

from knowledge import services
from knowledge.choices import Audience
from knowledge.models import Article
from tests.knowledge_helpers import published_article


@pytest.fixture
def articles(cast):
    made = {
        "all": published_article(cast, title="For everyone"),
        "own_org": published_article(cast, title="For Acme", audience=Audience.ORGANISATIONS,
                                     organisations=[cast.org]),
        "other_org": published_article(cast, title="For Globex", audience=Audience.ORGANISATIONS,
                                       organisations=[cast.other_org]),
        "internal": published_article(cast, title="Staff only", audience=Audience.INTERNAL),
        "draft": services.create_article(actor=cast.agent, title="Not yet", audience=Audience.ALL_END_USERS),
    }
    retired = published_article(cast, title="Old news")
    made["retired"] = services.retire_article(retired, actor=cast.agent)
    return made


READABLE_BY_END_USER = {"all", "own_org"}


@pytest.mark.parametrize("key", ["all", "own_org", "other_org", "internal", "draft", "retired"])
def test_end_user_matrix_on_the_portal_and_the_api(cast, articles, as_user, key):
    client = as_user(cast.end_user)
    number = articles[key].number
    expected = 200 if key in READABLE_BY_END_USER else 404
    assert client.get(f"/portal/knowledge/{number}/").status_code == expected
    assert client.get(f"/api/v1/knowledge/articles/{number}/").status_code == expected
    assert client.post(f"/portal/knowledge/{number}/vote/", {"helpful": "yes"}).status_code in (
        (302,) if expected == 200 else (404,))


def test_the_lists_hold_only_what_the_end_user_may_read(cast, articles, as_user):
    client = as_user(cast.end_user)
    listed = {row["title"] for row in client.get("/api/v1/knowledge/articles/").json()["results"]}
    assert listed == {"For everyone", "For Acme"}
    page = client.get("/portal/knowledge/").content.decode()
    assert "For everyone" in page and "For Acme" in page
    assert "For Globex" not in page and "Staff only" not in page and "Not yet" not in page


def test_outsider_sees_their_organisations_article_only(cast, articles):
    titles = set(Article.objects.visible_to(cast.outsider).values_list("title", flat=True))
    assert titles == {"For everyone", "For Globex"}


def test_an_article_shared_with_several_organisations_is_listed_once(cast, articles):
    services.revise_article(articles["own_org"], actor=cast.agent)
    article = Article.objects.get(pk=articles["own_org"].pk)
    services.update_article(article, actor=cast.agent, version=article.version,
                            organisations=[cast.org, cast.other_org])
    assert Article.objects.visible_to(cast.end_user).filter(pk=article.pk).count() == 1


@pytest.mark.parametrize("who", ["agent", "lead", "admin"])
def test_staff_read_every_article_in_every_state(cast, articles, as_user, who):
    client = as_user(getattr(cast, who))
    for article in articles.values():
        assert client.get(f"/desk/knowledge/{article.number}/").status_code == 200
        assert client.get(f"/api/v1/knowledge/articles/{article.number}/").status_code == 200


def test_end_users_have_no_desk_pages(cast, articles, as_user):
    client = as_user(cast.end_user)
    assert client.get("/desk/knowledge/").status_code == 403
    assert client.get(f"/desk/knowledge/{articles['all'].number}/").status_code == 403


def test_an_end_user_reads_the_published_revision_not_the_draft_being_revised(cast, articles, as_user):
    article = services.revise_article(articles["all"], actor=cast.agent)
    services.update_article(article, actor=cast.agent, version=article.version, title="Draft words",
                            solution="Secret draft step")
    client = as_user(cast.end_user)
    data = client.get(f"/api/v1/knowledge/articles/{article.number}/").json()
    assert data["title"] == "For everyone" and "Secret" not in data["solution"]
    page = client.get(f"/portal/knowledge/{article.number}/").content.decode()
    assert "For everyone" in page and "Secret draft step" not in page


def test_anonymous_visitors_read_nothing(client, articles):
    assert client.get(f"/portal/knowledge/{articles['all'].number}/").status_code == 302
    assert client.get("/api/v1/knowledge/articles/").status_code in (401, 403)
