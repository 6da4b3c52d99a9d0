"""Holiday names from the `holidays` library in the reader's language, so that a calendar filled by someone working
in English shows 元旦 to a reader working in Chinese (the library names China's holidays in zh_CN, en_US, zh_TW)."""

from functools import lru_cache

import holidays
from django.utils import translation

# Django language code → the library's language code (when the country offers it).
LIBRARY_LANGUAGES = {"zh-hans": "zh_CN", "zh-hant": "zh_TW", "en": "en_US"}


def library_language(country_class, language=None):
    wanted = LIBRARY_LANGUAGES.get(language or translation.get_language() or "")
    return wanted if wanted in getattr(country_class, "supported_languages", ()) else None


@lru_cache(maxsize=64)
def _names(country, subdiv, year, language):
    try:
        country_class = type(holidays.country_holidays(country, years=[]))
        return dict(holidays.country_holidays(country, subdiv=subdiv or None, years=[year],
                                              language=library_language(country_class, language)))
    except (NotImplementedError, KeyError):
        return {}


def library_name(day, country, subdiv=""):
    """The library's name of the holiday on `day`, in the active language ("" when the library has none)."""
    return _names(country, subdiv or "", day.year, translation.get_language() or "").get(day, "")
