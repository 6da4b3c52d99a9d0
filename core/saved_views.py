"""Saved views of record lists: the lists register here (their columns, sorts and built-in views), people save and
delete their own views through the two service functions below. Pages and the API call only these."""

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .models import SavedView


@dataclass(frozen=True)
class BuiltinView:
    """A view every user of a list has (e.g. "my open"); its key is what the page and API use for it."""

    key: str
    name: object  # a lazy translation: shown in the reader's language
    query: str
    sort: str = ""
    columns: tuple = ()


@dataclass
class RecordList:
    key: str
    columns: dict  # column key → label, in display order
    sorts: tuple  # the sort values the list's filterset accepts (with "-" for descending)
    builtins: list = field(default_factory=list)
    # Query parameters that are presentation, not filters: never stored in a view's query.
    presentation: tuple = ("page", "page_size", "columns", "ordering", "view")


LISTS = {}


def register_list(record_list):
    """Called from an app's AppConfig.ready(): makes its list's views savable."""
    LISTS[record_list.key] = record_list


def builtin(list_key, key):
    return next((view for view in LISTS[list_key].builtins if view.key == key), None)


def clean_query(record_list, query):
    """The query string without blank values and presentation parameters (paging, columns, sort, the view)."""
    pairs = [(k, v) for k, v in parse_qsl(query or "", keep_blank_values=True)
             if v.strip() and k not in record_list.presentation]
    return urlencode(pairs)


def _validate(list_key, name, columns, sort, shared_with, owner):
    errors = {}
    record_list = LISTS.get(list_key)
    if record_list is None:
        raise ValidationError({"list_key": _("Unknown list %(key)s.") % {"key": list_key}})
    if not (name or "").strip():
        errors["name"] = _("Give the view a name.")
    elif len(name.strip()) > 100:
        errors["name"] = _("Keep the name under 100 characters.")
    unknown = [c for c in columns or () if c not in record_list.columns]
    if unknown:
        errors["columns"] = _("Unknown columns: %(columns)s.") % {"columns": ", ".join(map(str, unknown))}
    if sort and sort not in record_list.sorts:
        errors["sort"] = _("This list cannot be sorted by %(sort)s.") % {"sort": sort}
    if shared_with is not None and not shared_with.members.filter(pk=owner.pk).exists():
        errors["shared_with"] = _("You can share a view only with a group you belong to.")
    if errors:
        raise ValidationError(errors)
    return record_list


def create_saved_view(*, owner, list_key, name, query="", columns=(), sort="", shared_with=None):
    """Save a view of `list_key` for `owner` (and, if given, the members of `shared_with`)."""
    from .roles import is_staff_member

    if not is_staff_member(owner):
        raise PermissionDenied(_("Only service desk staff may save views."))
    record_list = _validate(list_key, name, columns, sort, shared_with, owner)
    view = SavedView(owner=owner, list_key=list_key, name=name.strip(), query=clean_query(record_list, query),
                     columns=list(columns or ()), sort=sort or "", shared_with=shared_with)
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError:
        raise ValidationError({"name": _("You already have a view with this name.")}) from None
    return view


def delete_saved_view(view, *, actor):
    """Delete a view; only its owner may (a shared view is the owner's to withdraw)."""
    if view.owner_id != actor.pk:
        raise PermissionDenied(_("Only the owner of a view may delete it."))
    view.delete()
