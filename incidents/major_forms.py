"""Forms of the major-incident panel (incidents.major)."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.forms import StyledFormMixin
from core.models import User
from core.numbering import normalise_number
from core.roles import Role

from .models import Incident


def staff_people():
    return User.objects.filter(is_active=True, groups__name__in=Role.STAFF).distinct().order_by("username")


class DeclareMajorForm(StyledFormMixin, forms.Form):
    manager = forms.ModelChoiceField(label=_("Major-incident manager"), queryset=User.objects.none())
    summary = forms.CharField(label=_("Summary for the stakeholders"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = staff_people()


class StakeholderUpdateForm(StyledFormMixin, forms.Form):
    body = forms.CharField(label=_("Stakeholder update (sent to every requester)"), max_length=10000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class AttachChildForm(StyledFormMixin, forms.Form):
    child = forms.CharField(label=_("Incident to attach (number)"), max_length=30)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_child(self):
        number = normalise_number("INC", self.cleaned_data["child"].strip())
        child = Incident.objects.visible_to(self.user).filter(number=number).first()
        if child is None:
            raise forms.ValidationError(_("No such incident."))
        return child


class MajorReviewForm(StyledFormMixin, forms.Form):
    review = forms.CharField(label=pgettext_lazy("major incident", "Review"), max_length=20000,
                             widget=forms.Textarea(attrs={"rows": 4}),
                             help_text=_("What happened, why, and what will prevent it. A problem is raised from it."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
