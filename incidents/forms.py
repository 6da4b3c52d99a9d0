"""Forms of the agent desk. They only collect and clean input; the services decide and save."""

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _

from core.forms import MultipleFileField, StyledFormMixin
from core.models import AssignmentGroup, User
from records import effort
from servicedesk.models import Category, Service

from . import bulk
from .choices import Channel, Impact, ResolutionCode, Urgency
from .models import Incident
from .widgets import PersonPicker


def _active_groups():
    return AssignmentGroup.objects.filter(is_active=True)


def _agents():
    return User.objects.filter(is_active=True, assignment_groups__is_active=True).distinct()


class IncidentCreateForm(StyledFormMixin, forms.Form):
    """An agent logs an incident, often for a caller on the phone."""

    requester = forms.ModelChoiceField(label=_("Requester"), queryset=User.objects.filter(is_active=True),
                                       widget=PersonPicker)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}), required=False,
                                  help_text=_("Markdown"))
    service = forms.ModelChoiceField(label=_("Affected service"), queryset=Service.objects.filter(is_active=True),
                                     required=False)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.filter(is_active=True),
                                      required=False)
    impact = forms.TypedChoiceField(label=_("Impact"), choices=Impact.choices, coerce=int, initial=Impact.MINOR)
    urgency = forms.TypedChoiceField(label=_("Urgency"), choices=Urgency.choices, coerce=int, initial=Urgency.MEDIUM)
    assignment_group = forms.ModelChoiceField(label=_("Assignment group"), queryset=_active_groups(), required=False)
    is_major = forms.BooleanField(label=_("Major incident"), required=False)
    attachments = MultipleFileField(label=_("Attachments"))


class IncidentEditForm(StyledFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Incident
        fields = ["title", "description", "service", "category", "impact", "urgency", "is_major", "parent"]
        widgets = {"description": forms.Textarea(attrs={"rows": 5}), "parent": forms.TextInput()}

    parent = forms.CharField(label=_("Parent incident"), required=False, help_text=_("Number, e.g. INC-000123"))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["service"].queryset = Service.objects.filter(is_active=True)
        self.fields["category"].queryset = Category.objects.filter(is_active=True)
        if self.instance.parent_id and not self.is_bound:
            self.initial["parent"] = self.instance.parent.number
        self.initial.setdefault("version", self.instance.version)

    def clean_parent(self):
        number = (self.cleaned_data.get("parent") or "").strip().upper()
        if not number:
            return None
        parent = Incident.objects.visible_to(self.user).filter(number=number).first()
        if parent is None:
            raise forms.ValidationError(_("No incident %(number)s.") % {"number": number})
        return parent

    def _post_clean(self):
        # The service validates and saves; keep the model instance untouched here (no half-applied changes).
        pass


class TransitionForm(StyledFormMixin, forms.Form):
    action = forms.CharField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    assignment_group = forms.ModelChoiceField(label=_("Group"), queryset=_active_groups(), required=False)
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=_agents(), required=False)
    resolution_code = forms.ChoiceField(label=_("Resolution code"), choices=[("", "---")] + ResolutionCode.choices,
                                        required=False)
    resolution_notes = forms.CharField(label=_("Resolution notes"), widget=forms.Textarea(attrs={"rows": 3}),
                                       required=False)
    comment = forms.CharField(label=_("Message to the requester"), widget=forms.Textarea(attrs={"rows": 2}),
                              required=False)


class CommentForm(StyledFormMixin, forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}), help_text=_("Markdown"))
    internal = forms.BooleanField(label=_("Internal note (not shown to the requester)"), required=False)
    minutes = forms.CharField(label=_("Time spent (minutes)"), required=False, max_length=10,
                              widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    attachments = MultipleFileField(label=_("Attachments"))

    def clean_minutes(self):
        try:
            return effort.clean_minutes(self.cleaned_data.get("minutes"))
        except DjangoValidationError as error:
            raise forms.ValidationError(error.message_dict["minutes"]) from None


class MergeForm(StyledFormMixin, forms.Form):
    into = forms.CharField(label=_("Merge into incident"), help_text=_("Number, e.g. INC-000123"))


class CheckedRowsField(forms.Field):
    """The queue's checked rows, each "INC-000123:4" (the number and the version the agent saw; without a version,
    no stale check) → [("INC-000123", "4"), ...]."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"required": _("Check at least one incident.")}

    def to_python(self, value):
        rows = []
        for item in value or ():
            number, _sep, version = str(item).partition(":")
            if number.strip():
                rows.append((number.strip().upper(), version.strip() or None))
        return rows


class BulkForm(forms.Form):
    """One action for the checked rows of the queue; the services check each row (incidents.bulk)."""

    action = forms.ChoiceField(label=_("Action"), choices=bulk.OPERATIONS.items(),
                               error_messages={"required": _("Choose what to do with the checked incidents.")})
    rows = CheckedRowsField(label=_("Incidents"))
    assignment_group = forms.ModelChoiceField(label=_("Group"), queryset=_active_groups(), required=False)
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=_agents(), required=False)
    impact = forms.TypedChoiceField(label=_("Impact"), choices=Impact.choices, coerce=int, required=False,
                                    empty_value=None)
    urgency = forms.TypedChoiceField(label=_("Urgency"), choices=Urgency.choices, coerce=int, required=False,
                                     empty_value=None)
    resolution_code = forms.ChoiceField(label=_("Resolution code"), required=False,
                                        choices=[("", "---")] + ResolutionCode.choices)
    resolution_notes = forms.CharField(label=_("Resolution notes"), required=False)
    comment = forms.CharField(label=_("Message to the requester"), required=False)
    query = forms.CharField(required=False, max_length=2000)  # the queue's filters, to show the table again

    def options(self):
        data = dict(self.cleaned_data)
        for name in ("action", "rows", "query"):
            data.pop(name)
        return data
