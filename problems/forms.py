"""Forms of the problem pages. They only collect and clean input; the services decide and save."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import StyledFormMixin
from core.models import AssignmentGroup, User
from incidents.choices import Impact, Urgency
from servicedesk.models import Category, Service

from .choices import CauseCategory, ProblemAction
from .models import Problem


class ProblemCreateForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}), required=False,
                                  help_text=_("Markdown"))
    service = forms.ModelChoiceField(label=_("Affected service"), queryset=Service.objects.filter(is_active=True),
                                     required=False)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.filter(is_active=True),
                                      required=False)
    impact = forms.TypedChoiceField(label=_("Impact"), choices=Impact.choices, coerce=int, initial=Impact.MODERATE)
    urgency = forms.TypedChoiceField(label=_("Urgency"), choices=Urgency.choices, coerce=int, initial=Urgency.MEDIUM)
    assignment_group = forms.ModelChoiceField(label=_("Assignment group"),
                                              queryset=AssignmentGroup.objects.filter(is_active=True), required=False)


class ProblemEditForm(StyledFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Problem
        fields = ["title", "description", "service", "category", "impact", "urgency", "assignment_group", "assignee",
                  "cause_category", "root_cause", "analysis_notes", "workaround", "fix_description", "review_notes"]
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in
                   ("description", "root_cause", "analysis_notes", "workaround", "fix_description", "review_notes")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(is_active=True)
        self.fields["category"].queryset = Category.objects.filter(is_active=True)
        self.fields["assignment_group"].queryset = AssignmentGroup.objects.filter(is_active=True)
        self.fields["assignee"].queryset = User.objects.filter(
            is_active=True, assignment_groups__is_active=True).distinct()


class ProblemActionForm(forms.Form):
    """One lifecycle action with the fields it may bring (the service says which are required)."""

    action = forms.ChoiceField(choices=ProblemAction.choices)
    version = forms.IntegerField(required=False)
    root_cause = forms.CharField(label=_("Root cause"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    cause_category = forms.ChoiceField(label=_("Cause category"), choices=[("", "—"), *CauseCategory.choices],
                                       required=False)
    workaround = forms.CharField(label=_("Workaround"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    fix_description = forms.CharField(label=_("Fix"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    resolve_incidents = forms.BooleanField(label=_("Also resolve the open linked incidents"), required=False)
    note = forms.CharField(label=_("Note to the requesters of the incidents"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))
    review_notes = forms.CharField(label=_("Review"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def options(self):
        data = self.cleaned_data
        return {name: data[name] for name in ("root_cause", "cause_category", "workaround", "fix_description",
                                              "review_notes", "note") if data.get(name)} | {
            "resolve_incidents": data.get("resolve_incidents", False)}


class NoteForm(StyledFormMixin, forms.Form):
    body = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))


class RaiseFromIncidentForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Problem title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
