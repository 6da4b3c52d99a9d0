"""Self-service portal forms."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import MultipleFileField, StyledFormMixin
from incidents.choices import Urgency

from .models import Service


class ReportIncidentForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("What is wrong?"), max_length=200,
                            help_text=_("A short summary, e.g. “The printer on floor 3 does not print”."))
    description = forms.CharField(label=_("Details"), widget=forms.Textarea(attrs={"rows": 6}), required=False,
                                  help_text=_("What happened, since when, error messages. Markdown is supported."))
    service = forms.ModelChoiceField(label=_("Affected service"), queryset=Service.objects.filter(is_active=True),
                                     required=False, empty_label=_("I don't know"))
    urgency = forms.TypedChoiceField(label=_("How urgent is it for you?"), choices=Urgency.choices, coerce=int,
                                     initial=Urgency.MEDIUM)
    attachments = MultipleFileField(label=_("Attachments (screenshots, logs)"))


class PortalReplyForm(StyledFormMixin, forms.Form):
    body = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 3}))
    attachments = MultipleFileField(label=_("Attachments"))
