"""The registry of API token scopes.

A token holds `read` and/or `write` (what kind of request) and one scope per practice it may reach (incidents, cmdb,
sla, ...). A practice registers its scope in its AppConfig.ready() with the apps whose API views it covers:

    register_scope("incidents", _("Incidents"), _("..."), apps=["incidents", "servicedesk"])

A view may also name its scope itself (`practice_scope = "tokens"`). Views of apps no practice claims (people, groups,
the caller) need only read/write.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS

READ = "read"
WRITE = "write"


@dataclass(frozen=True)
class Scope:
    code: str
    label: str
    help_text: str
    apps: tuple


_SCOPES: dict[str, Scope] = {}


def register_scope(code, label, help_text="", apps=None):
    """Declare a scope; `apps` (top-level packages) lists whose API views require it (default: the app `code`)."""
    _SCOPES[code] = Scope(code, label, help_text, tuple((code,) if apps is None else apps))


def all_scopes():
    return list(_SCOPES.values())


def scope_codes():
    return list(_SCOPES)


def scope_choices():
    return [(scope.code, scope.label) for scope in _SCOPES.values()]


def practice_scope_of(view):
    """The practice scope an API view requires, or None."""
    declared = getattr(view, "practice_scope", None)
    if declared:
        return declared
    package = type(view).__module__.split(".")[0]
    for scope in _SCOPES.values():
        if package in scope.apps:
            return scope.code
    return None


def required_scopes(view, method):
    """Every scope a request needs: read or write by its method, plus the view's practice scope."""
    needed = [READ if method in SAFE_METHODS else WRITE]
    practice = practice_scope_of(view)
    if practice:
        needed.append(practice)
    return needed


# The scopes every token may hold whatever practices are installed (registered first, so they are listed first).
register_scope(READ, _("Read"), _("Read records (GET)."), apps=())
register_scope(WRITE, _("Write"), _("Create, change and delete records."), apps=())
register_scope("tokens", _("API tokens"), _("Manage your own API tokens."), apps=())
