"""What the calendar and agreement pages share: who may enter, stale-edit fingerprints, business-time durations as
people type them, and placing a service's errors on form fields and formset rows."""

import hashlib
import re
from datetime import timedelta

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.dateparse import parse_duration
from django.utils.translation import gettext_lazy as _

from core.decorators import admin_required, role_required
from core.roles import is_admin, is_lead

# Team leads, managers and administrators read the pages (anonymous → login page, anyone else 403); only
# administrators change anything (the services check it again).
view_required = role_required(is_lead)
edit_required = admin_required
may_edit = is_admin

INPUT = {"class": "form-control form-control-sm"}
SELECT = {"class": "form-select form-select-sm"}


def fingerprint(*parts):
    """A short digest of what an edit page showed; a POST carrying another digest was made on stale data."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def leave_validation_to_the_service(form):
    """Drop the model's validators from `form`'s fields: the service checks the same (time zone, length, ...) and its
    errors come back on the fields. NUL characters are still refused here: no service checks them and the database
    cannot store them."""
    for field in form.fields.values():
        field.validators = [v for v in field.validators if isinstance(v, ProhibitNullCharactersValidator)]


_UNITS = re.compile(r"^(?P<sign>-)?\s*(?:(?P<d>\d+)\s*d)?\s*(?:(?P<h>\d+)\s*h)?\s*(?:(?P<m>\d+)\s*m(?:in)?)?"
                    r"\s*(?:(?P<s>\d+)\s*s)?$", re.IGNORECASE)
_CLOCK = re.compile(r"^(?P<sign>-)?(?P<h>\d+):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?$")
_HOURS = re.compile(r"^(?P<sign>-)?(?P<h>\d+(?:\.\d+)?)$")


def parse_business_duration(text):
    """"4h", "1h 30m", "90m", "2d" (48 h), "4:30" (hours:minutes), "4" (hours) or Django's own formats; else None.

    The sign is kept, so that a negative target reaches the service and is refused there with its message.
    """
    text = (text or "").strip()
    if not text:
        return None
    try:
        if match := _HOURS.match(text):
            value = timedelta(hours=float(match["h"]))
        elif (match := _CLOCK.match(text)) or ((match := _UNITS.match(text)) and any(match.groups()[1:])):
            parts = {k: int(v) for k, v in match.groupdict().items() if k != "sign" and v}
            value = timedelta(days=parts.get("d", 0), hours=parts.get("h", 0), minutes=parts.get("m", 0),
                              seconds=parts.get("s", 0))
        else:
            return parse_duration(text)
    except (OverflowError, ValueError):
        return None
    return -value if match["sign"] else value


def format_business_duration(value):
    """A duration as it is typed: "4h", "1h 30m", "45m" (hours beyond a day stay hours: "52h")."""
    if value is None:
        return ""
    sign, seconds = ("-" if value < timedelta(0) else ""), abs(int(value.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{seconds}s" if seconds else ""]
    return sign + (" ".join(p for p in parts if p) or "0")


class BusinessDurationField(forms.CharField):
    """Business time typed as "4h", "1h 30m", "4:30"; empty is None (no target)."""

    default_error_messages = {"invalid": _("Enter a duration such as 4h, 1h 30m, 45m or 4:30.")}

    def prepare_value(self, value):
        return format_business_duration(value) if isinstance(value, timedelta) else value

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        duration = parse_business_duration(text)
        if duration is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return duration


class RowFormSet(forms.BaseFormSet):
    """Rows of a table on a page (periods, escalation steps): blank rows are ignored, a row marked for removal is
    dropped, and `problems` holds the messages about the rows as a whole (shown above the table)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.problems = []

    def live_rows(self):
        """[(form, values)] of the non-blank rows not marked for removal, in page order (call after is_valid()).
        Rows with errors are included, their unreadable fields as None, so that `preview` can check them."""
        rows = []
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or self._should_delete_form(form):
                continue
            values = form.values()
            if values is not None:
                rows.append((form, values))
        return rows

    def preview(self, check):
        """While some rows cannot be read, run a service's row check (e.g. sla.services.period_errors) on the rows
        that could, so that its problems show beside the parse errors."""
        rows = [(form, values) for form, values in self.live_rows() if not form.errors]
        self.place_row_errors(rows, check([values for _form, values in rows]))

    def place_refusal(self, rows, messages, check):
        """A service refused these rows with flat `messages`: its own row check (`check`) finds each row's problems
        again to put them on the row's fields; if it finds none, the service's messages go above the table."""
        problems = check([values for _form, values in rows])
        if any(problems):
            self.place_row_errors(rows, problems)
        else:
            self.problems.extend(messages)

    def place_row_errors(self, rows, problems):
        """Put per-row {field: message} problems (aligned to `rows`) on the row's fields; others above the table."""
        for (form, _values), problem in zip(rows, problems, strict=False):
            for field, message in problem.items():
                if field in form.fields:
                    form.add_error(field, message)
                else:
                    self.problems.append(message)


class RowForm(forms.Form):
    """One row of a RowFormSet: blank when every field is empty; otherwise `REQUIRED` fields must be given."""

    REQUIRED = ()

    def _given(self, name):
        return self.cleaned_data.get(name) not in (None, "") or name in self._errors

    def clean(self):
        data = super().clean()
        if any(self._given(name) for name in self.fields if name != "DELETE"):
            for name in self.REQUIRED:
                if not self._given(name):
                    self.add_error(name, forms.Field.default_error_messages["required"])
        return data

    def values(self):
        """The row's values for the service, or None for a blank row."""
        names = [name for name in self.fields if name != "DELETE"]
        if not any(self.cleaned_data.get(name) not in (None, "") for name in names):
            return None
        return {name: self.cleaned_data.get(name) for name in names}


def error_dict(exc):
    """A ValidationError as {field: [messages]}; one that names no field counts for the whole form."""
    return exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}


def place_errors(form, errors, *, skip=()):
    """Put a service's {field: [messages]} on `form`'s fields; unknown names become errors of the whole form."""
    for name, messages in errors.items():
        if name in skip:
            continue
        for message in messages:
            form.add_error(name if name in form.fields else None, message)
