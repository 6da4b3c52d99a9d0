"""Which published known errors help with an incident: those on the incident's configuration items, its service, its
category, or sharing words with its title (full text, English + Chinese), best first.

Score: a shared CI weighs most (4), then the service (2), the category (1), plus the text rank of the title's words;
ties go to the known error linked to more incidents. Drafts and retired known errors are never shown.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import Case, Exists, F, FloatField, OuterRef, Q, Value, When
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.textsearch import cjk_tokens, latin_part

from .models import KnownError, KnownErrorConfigurationItem

LIMIT = 5
_NOT_A_WORD = re.compile(r"[^\w]+", re.UNICODE)
CI_WEIGHT, SERVICE_WEIGHT, CATEGORY_WEIGHT = 4.0, 2.0, 1.0


def any_words_query(text):
    """A query matching a record that has ANY word of `text` (a title shares some words with a known error, rarely
    all): English words stemmed, Chinese as two-character words. None when nothing is searchable."""
    query = None
    words = _NOT_A_WORD.sub(" ", latin_part(text)).split()
    if words:
        # websearch_to_tsquery drops stop words quietly and never fails on what a person typed.
        query = SearchQuery(" or ".join(w for w in words if w.lower() != "or"), config="english",
                            search_type="websearch")
    grams = [t for t in cjk_tokens(text) if len(t) == 2] or cjk_tokens(text)
    if grams:
        part = SearchQuery(" or ".join(dict.fromkeys(grams)), config="simple", search_type="websearch")
        query = part if query is None else query | part
    return query


def _flag(condition, weight):
    return Case(When(condition, then=Value(weight)), default=Value(0.0), output_field=FloatField())


def matching_known_errors(incident, user, limit=LIMIT):
    """Up to `limit` published known errors `user` may see that match `incident`, best first (each with `.score`
    and `.matched_on`: the reasons, for the panel)."""
    ci_ids = list(incident.ci_links.values_list("configuration_item_id", flat=True))
    query = any_words_query(incident.title)
    conditions = Q()
    on_ci = Exists(KnownErrorConfigurationItem.objects.filter(
        known_error=OuterRef("pk"), configuration_item_id__in=ci_ids)) if ci_ids else Value(False)
    score = Value(0.0, output_field=FloatField())
    if ci_ids:
        conditions |= Q(on_ci)
        score = score + _flag(Q(on_ci), CI_WEIGHT)
    if incident.service_id:
        conditions |= Q(service_id=incident.service_id)
        score = score + _flag(Q(service_id=incident.service_id), SERVICE_WEIGHT)
    if incident.category_id:
        conditions |= Q(category_id=incident.category_id)
        score = score + _flag(Q(category_id=incident.category_id), CATEGORY_WEIGHT)
    if query is not None:
        conditions |= Q(search_vector=query)
        score = score + Cast(SearchRank(F("search_vector"), query), FloatField())
    if not conditions:
        return []
    matches = list(
        KnownError.objects.visible_to(user).published().filter(conditions)
        .annotate(score=score, on_ci=on_ci)
        .select_related("service", "category")
        .order_by("-score", "-link_count", "-published_at", "-id")[:limit]
    )
    for known_error in matches:
        known_error.matched_on = _reasons(known_error, incident)
    return matches


def _reasons(known_error, incident):
    reasons = []
    if known_error.on_ci:
        reasons.append(_("configuration item"))
    if incident.service_id and known_error.service_id == incident.service_id:
        reasons.append(_("service"))
    if incident.category_id and known_error.category_id == incident.category_id:
        reasons.append(_("category"))
    if not reasons:
        reasons.append(pgettext("known error", "words"))
    return reasons
