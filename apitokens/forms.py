from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.forms import StyledFormMixin

from .scopes import scope_choices


class TokenForm(StyledFormMixin, forms.Form):
    """A new personal token: the service checks the values (scopes known, lifetime within the maximum)."""

    name = forms.CharField(label=_("Token name"), max_length=100,
                           help_text=_("What the token is for, e.g. “monitoring script”."))
    scopes = forms.MultipleChoiceField(label=_("Scopes"), widget=forms.CheckboxSelectMultiple, choices=())
    expires_in_days = forms.IntegerField(label=_("Expires after (days)"), min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = scope_choices()
        self.fields["scopes"].choices = choices
        self.fields["scopes"].widget.attrs.pop("class", None)  # on a checkbox list it would style the wrapper too
        self.fields["scopes"].initial = [code for code, _label in choices]
        days = self.fields["expires_in_days"]
        days.initial = settings.API_TOKEN_DEFAULT_DAYS
        days.max_value = settings.API_TOKEN_MAX_DAYS
        days.widget.attrs["max"] = settings.API_TOKEN_MAX_DAYS
        days.help_text = _("At most %(max)s days.") % {"max": settings.API_TOKEN_MAX_DAYS}
