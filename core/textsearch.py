"""Text search that works for Chinese as well as English.

PostgreSQL's parsers do not split Chinese, so runs of CJK characters are turned into their single characters and
overlapping two-character words (bigrams) before they go into a 'simple' tsvector: "打印机坏了" yields 打印, 印机, 机坏,
坏了 (and the single characters), so a query for 打印 matches. Latin text goes through the 'english' configuration
(stemming). Queries are tokenised the same way and all terms must match.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import Value

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_TSQUERY_UNSAFE = re.compile(r"[^\w]+", re.UNICODE)


def cjk_tokens(text):
    tokens = []
    for run in _CJK_RUN.findall(text or ""):
        tokens.extend(run)
        tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    return tokens


def latin_part(text):
    return _CJK_RUN.sub(" ", text or "")


def search_vector(*texts):
    """A SearchVector expression over the given texts (English stemming + CJK bigrams)."""
    joined = "\n".join(t or "" for t in texts)
    return SearchVector(Value(latin_part(joined)), config="english") + SearchVector(
        Value(" ".join(cjk_tokens(joined))), config="simple"
    )


def search_query(text):
    """A SearchQuery requiring every word of `text`, or None when the text holds nothing searchable."""
    query = None
    latin = _TSQUERY_UNSAFE.sub(" ", latin_part(text)).strip()
    if latin:
        query = SearchQuery(latin, config="english", search_type="plain")
    cjk_runs = _CJK_RUN.findall(text or "")
    for run in cjk_runs:
        grams = [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
        for gram in grams:
            part = SearchQuery(gram, config="simple", search_type="plain")
            query = part if query is None else query & part
    return query
