"""Forms of the knowledge pages (desk and portal). They validate input only; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import StyledFormMixin
from core.models import Organisation

from .choices import ArticleAction, Audience
from .models import ArticleCategory
from .services import reviewers


class ArticleForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    symptoms = forms.CharField(label=_("Symptoms"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
                               help_text=_("What the person sees. Markdown is supported."))
    cause = forms.CharField(label=_("Cause"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    solution = forms.CharField(label=_("Solution"), widget=forms.Textarea(attrs={"rows": 6}), required=False,
                               help_text=_("The steps that solve it. Required before the article is published."))
    category = forms.ModelChoiceField(label=_("Category"), queryset=ArticleCategory.objects.all(), required=False)
    tags = forms.CharField(label=_("Tags"), max_length=500, required=False,
                           help_text=_("Separated by commas, e.g. printer, vpn."))
    audience = forms.ChoiceField(label=_("Audience"), choices=Audience.choices, initial=Audience.INTERNAL)
    organisations = forms.ModelMultipleChoiceField(
        label=_("Organisations"), queryset=Organisation.objects.order_by("name"), required=False,
        help_text=_("Only for the audience “Chosen organisations”."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ArticleActionForm(forms.Form):
    action = forms.ChoiceField(choices=ArticleAction.choices)
    version = forms.IntegerField(required=False)
    reviewer = forms.ModelChoiceField(label=_("Reviewer"), queryset=reviewers(), required=False)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)


class VoteForm(forms.Form):
    helpful = forms.TypedChoiceField(choices=[("yes", _("Yes")), ("no", _("No"))], coerce=lambda v: v == "yes")
