"""Searching and suggesting articles in Chinese and English, ranked, as the desk, the portal and the API do it."""

import pytest

from knowledge.models import Article
from knowledge.search import search, suggest
from tests.knowledge_helpers import published_article


@pytest.fixture
def library(cast):
    return {
        "printer": published_article(cast, title="打印机无法打印", symptoms="打印机显示卡纸",
                                     solution="取出卡住的纸。"),
        "vpn": published_article(cast, title="VPN disconnects every hour", symptoms="The VPN client drops.",
                                 solution="Update the VPN client."),
        "mail": published_article(cast, title="Outlook keeps asking for a password", solution="Clear credentials.",
                                  tags=["outlook", "邮件"]),
        "wifi": published_article(cast, title="无线网络连接很慢", solution="重启路由器。"),
    }


def titles(articles):
    return [a.title for a in articles]


def test_a_two_character_chinese_word_is_found(cast, library):
    assert titles(search(Article.objects.visible_to(cast.end_user), "打印")) == ["打印机无法打印"]
    assert titles(search(Article.objects.visible_to(cast.end_user), "网络")) == ["无线网络连接很慢"]


def test_english_words_are_stemmed(cast, library):
    assert titles(search(Article.objects.all(), "disconnecting")) == ["VPN disconnects every hour"]


def test_tags_are_searched(cast, library):
    assert titles(search(Article.objects.all(), "邮件")) == ["Outlook keeps asking for a password"]


def test_results_are_ranked(cast, library):
    published_article(cast, title="Printer drivers", solution="Mentions VPN once.")
    found = titles(search(Article.objects.all(), "VPN"))
    assert found[0] == "VPN disconnects every hour" and "Printer drivers" in found


def test_suggestions_match_the_word_being_typed(cast, library):
    readable = Article.objects.visible_to(cast.end_user)
    assert titles(suggest(readable, "vpn disconn")) == ["VPN disconnects every hour"]
    assert titles(suggest(readable, "我的打印机坏了")) == ["打印机无法打印"]


def test_suggestions_fall_back_to_articles_holding_some_words(cast, library):
    found = titles(suggest(Article.objects.visible_to(cast.end_user), "outlook crashes on startup"))
    assert found == ["Outlook keeps asking for a password"]


def test_suggestions_are_at_most_five(cast, library):
    for n in range(7):
        published_article(cast, title=f"Printer tray {n}", solution="Close the tray.")
    assert len(suggest(Article.objects.visible_to(cast.end_user), "printer tray")) == 5


def test_nothing_searchable_finds_nothing(cast, library):
    assert titles(search(Article.objects.all(), "!!!")) == []
    assert suggest(Article.objects.all(), "   ") == []


def test_desk_list_filters_and_searches(cast, library, as_user):
    client = as_user(cast.agent)
    page = client.get("/desk/knowledge/", {"q": "打印", "state": "published"}).content.decode()
    assert "打印机无法打印" in page and "VPN disconnects" not in page
    page = client.get("/desk/knowledge/", {"tag": "outlook"}).content.decode()
    assert "Outlook keeps asking" in page and "打印机无法打印" not in page
    page = client.get("/desk/knowledge/", {"audience": "internal"}).content.decode()
    assert "No articles found." in page
    assert client.get("/desk/knowledge/", {"state": "nonsense"}).status_code == 400


def test_api_search_and_number_lookup(cast, library, as_user):
    client = as_user(cast.end_user)
    rows = client.get("/api/v1/knowledge/articles/", {"q": "无线"}).json()["results"]
    assert [r["title"] for r in rows] == ["无线网络连接很慢"]
    number = library["vpn"].number
    rows = client.get("/api/v1/knowledge/articles/", {"q": number.lower()}).json()["results"]
    assert [r["number"] for r in rows] == [number]


def test_api_suggestions(cast, library, as_user):
    rows = as_user(cast.end_user).get("/api/v1/knowledge/suggestions/", {"q": "打印机坏"}).json()
    assert [r["title"] for r in rows] == ["打印机无法打印"]
    assert rows[0]["url"].endswith(f"/portal/knowledge/{library['printer'].number}/")
