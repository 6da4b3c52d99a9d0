"""Searching articles in Chinese and English (core.textsearch: English stemming + Chinese bigrams), ranked.

Two queries: `search()` for the lists (every word must match, like the incident search) and `suggest()` for the
portal while someone types a title — there the last Latin word is still being typed, so it matches as a prefix, and
when no article holds every word the best articles holding some of them are offered instead.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import F

from core.textsearch import _CJK_RUN, cjk_tokens, latin_part, search_query, search_vector

from .models import Article, ArticleRevision

SUGGESTIONS = 5
# Suggestions rank at most this many matching articles: a word of two letters or characters can match thousands, and
# ranking them all (every row's vector read) costs far more than the 50 ms a keystroke may take. The next keystroke
# narrows the matches, and from a few words on every match is ranked.
CANDIDATES = 200
MIN_PREFIX = 3
_WORD = re.compile(r"\w+", re.UNICODE)


def refresh_search(article_id):
    """Rebuild an article's search vector from what end users read: its published revision, or (never published)
    its working copy."""
    article = Article.objects.only("number", "title", "symptoms", "cause", "solution", "tags",
                                   "published_revision_id").get(pk=article_id)
    source = article
    if article.published_revision_id:
        source = ArticleRevision.objects.get(pk=article.published_revision_id)
    Article.objects.filter(pk=article_id).update(search_vector=search_vector(
        article.number, source.title, source.symptoms, source.cause, source.solution, " ".join(article.tags)))


def search(queryset, text):
    """Articles of `queryset` holding every word of `text`, best first (none when nothing searchable is typed)."""
    query = search_query(text)
    if query is None:
        return queryset.none()
    return queryset.filter(search_vector=query).annotate(rank=SearchRank(F("search_vector"), query)).order_by(
        "-rank", "-helpful_count", "-id")


def _typing_query(text, *, every):
    """A tsquery for words being typed: Latin words stemmed (the last one as a prefix), Chinese as bigrams; all of
    them (`every`) or any."""
    joiner = " & " if every else " | "
    latin = _WORD.findall(latin_part(text).replace("_", " "))
    if len(latin) > 1 and len(latin[-1]) < MIN_PREFIX:
        # "printer d": a one- or two-letter prefix matches half the dictionary (and costs the index as much);
        # wait for the next letter.
        latin = latin[:-1]
    query = None
    if latin:
        terms = [*latin[:-1], f"{latin[-1]}:*"]
        query = SearchQuery(joiner.join(terms), config="english", search_type="raw")
    grams = []
    for run in _CJK_RUN.findall(text):
        grams.extend([run] if len(run) == 1 else cjk_tokens(run)[len(run):])
    if grams:
        part = SearchQuery(joiner.join(dict.fromkeys(grams)), config="simple", search_type="raw")
        query = part if query is None else (query & part if every else query | part)
    return query


def suggest(queryset, text, limit=SUGGESTIONS):
    """Up to `limit` articles for a title being typed: those holding every word first, else those holding most."""
    text = (text or "")[:200]
    found = []
    for every in (True, False):
        query = _typing_query(text, every=every)
        if query is None:
            return []
        matching = queryset.filter(search_vector=query).exclude(pk__in=[a.pk for a in found])
        candidates = matching.order_by().values("pk")[:CANDIDATES]
        rows = list(queryset.filter(pk__in=candidates).annotate(rank=SearchRank(F("search_vector"), query)).order_by(
            "-rank", "-helpful_count", "-id")[:limit - len(found)])
        found.extend(rows)
        if len(found) >= limit:
            break
    return found
