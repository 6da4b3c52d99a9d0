"""The dashboard's period and filters, validated the same way for the page, the API and the CSV download."""

from datetime import timedelta

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.models import Organisation
from servicedesk.models import Service

from ..choices import AgreementKind
from .queries import Period, groups_visible_to

PRESETS = (7, 30, 90)
# Translated when the form is shown, in the reader's language (a `%` on gettext_lazy would fix it at import).
last_days_label = lazy(lambda days: gettext("Last %(days)d days") % {"days": days}, str)
DEFAULT_DAYS = 30
CUSTOM = "custom"
MAX_DAYS = 731  # two years: beyond that the weekly trend stops being readable


class DashboardForm(forms.Form):
    """`period` is a preset (7/30/90 days up to today) or `custom`; a custom period needs `from` and `to` (dates).

    Giving `from`/`to` implies a custom period. Errors are keyed by the field at fault.
    """

    period = forms.ChoiceField(
        label=_("Period"), required=False,
        choices=[*((str(days), last_days_label(days)) for days in PRESETS),
                 (CUSTOM, _("Custom dates"))],
    )
    kind = forms.ChoiceField(label=_("Kind of agreement"), required=False,
                             choices=[("", _("All kinds")), *AgreementKind.choices])
    service = forms.ModelChoiceField(label=_("Service"), required=False, queryset=Service.objects.order_by("name"),
                                     empty_label=_("All services"))
    group = forms.ModelChoiceField(label=_("Assignment group"), required=False, queryset=None,
                                   empty_label=_("All groups"))
    organisation = forms.ModelChoiceField(label=_("Organisation"), required=False,
                                          queryset=Organisation.objects.order_by("name"),
                                          empty_label=_("All organisations"))

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        # "from" is a Python keyword, so these two are added here rather than declared above.
        date_input = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        self.fields["from"] = forms.DateField(label=_("From"), required=False, widget=date_input)
        self.fields["to"] = forms.DateField(label=_("To"), required=False, widget=date_input)
        self.fields["group"].queryset = groups_visible_to(user)  # a lead filters by the groups they lead only

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("from"), cleaned.get("to")
        custom = cleaned.get("period") == CUSTOM or first or last or "from" in self.errors or "to" in self.errors
        if not custom:
            days = int(cleaned.get("period") or DEFAULT_DAYS)
            cleaned["period_range"] = Period.last_days(days)
            return cleaned
        cleaned["period"] = CUSTOM
        if "from" in self.errors or "to" in self.errors:
            return cleaned
        if first is None:
            self.add_error("from", _("Give the first day of the period."))
        if last is None:
            self.add_error("to", _("Give the last day of the period."))
        if first is None or last is None:
            return cleaned
        if last < first:
            self.add_error("to", _("The last day must not be before the first day."))
        elif last - first >= timedelta(days=MAX_DAYS):
            self.add_error("to", _("A period covers at most %(days)d days.") % {"days": MAX_DAYS})
        elif first > timezone.localdate():
            self.add_error("from", _("The period must not start in the future."))
        else:
            cleaned["period_range"] = Period(first, last)
        return cleaned

    @property
    def period_range(self):
        return self.cleaned_data["period_range"]

    def condition(self):
        """The chosen kind, service, group and organisation, as a condition on clocks and the roll-up alike."""
        data = self.cleaned_data
        conditions = {
            "sla_kind": data.get("kind") or None,
            "service": data.get("service"),
            "assignment_group": data.get("group"),
            "organisation": data.get("organisation"),
        }
        return Q(**{name: value for name, value in conditions.items() if value is not None})

    def query_string(self):
        """The validated choices as a query string (for the CSV link)."""
        from django.http import QueryDict

        data = self.cleaned_data
        query = QueryDict(mutable=True)
        query["from"] = data["period_range"].first.isoformat()
        query["to"] = data["period_range"].last.isoformat()
        for name in ("kind", "service", "group", "organisation"):
            value = data.get(name)
            if value:
                query[name] = getattr(value, "pk", value)
        return query.urlencode()
