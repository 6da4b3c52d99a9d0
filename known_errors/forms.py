"""Forms of the known-error pages. They only collect and clean input; known_errors.services decides and saves."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cmdb.forms import find_ci
from cmdb.models import ConfigurationItem
from core.forms import StyledFormMixin
from servicedesk.models import Category, Service

from .models import KE


class KnownErrorForm(StyledFormMixin, forms.Form):
    """Write or edit a known error. CIs are typed one per line (number or exact name), as elsewhere on the desk."""

    title = forms.CharField(label=_("Title"), max_length=200)
    symptoms = forms.CharField(label=pgettext_lazy(KE, "Symptoms"), widget=forms.Textarea(attrs={"rows": 4}),
                               required=False, help_text=_("What the desk and the users see. Markdown."))
    root_cause = forms.CharField(label=pgettext_lazy(KE, "Root cause"), widget=forms.Textarea(attrs={"rows": 4}),
                                 required=False, help_text=_("Markdown"))
    workaround = forms.CharField(label=pgettext_lazy(KE, "Workaround"), widget=forms.Textarea(attrs={"rows": 4}),
                                 required=False,
                                 help_text=_("What to do until it is fixed; needed to publish. Markdown."))
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.filter(is_active=True),
                                     required=False)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.filter(is_active=True),
                                      required=False)
    configuration_items = forms.CharField(
        label=_("Configuration items"), widget=forms.Textarea(attrs={"rows": 2}), required=False,
        help_text=_("One per line: the CI's number or exact name."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    problem = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_configuration_items(self):
        visible = ConfigurationItem.objects.visible_to(self.user)
        found, errors = [], []
        for line in (self.cleaned_data.get("configuration_items") or "").splitlines():
            if not line.strip():
                continue
            try:
                ci = find_ci(visible, line)
            except forms.ValidationError as error:
                errors.extend(error.messages)
                continue
            if ci not in found:
                found.append(ci)
        if errors:
            raise forms.ValidationError(errors)
        return found


def initial_of(known_error):
    """The edit form's starting values for `known_error`."""
    return {
        "title": known_error.title, "symptoms": known_error.symptoms, "root_cause": known_error.root_cause,
        "workaround": known_error.workaround, "service": known_error.service_id,
        "category": known_error.category_id, "version": known_error.version,
        "configuration_items": "\n".join(str(ci.pk) for ci in known_error.configuration_items.all()),
    }
