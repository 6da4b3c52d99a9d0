"""Forms every record kind's pages share."""

from django import forms
from django.utils.translation import gettext_lazy as _


class CommentForm(forms.Form):
    """A public reply or (staff only) an internal note."""

    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}))
    internal = forms.BooleanField(label=_("Internal note (not shown to the requester)"), required=False,
                                  widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    def __init__(self, *args, staff=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not staff:
            del self.fields["internal"]

    def clean_internal(self):
        return self.cleaned_data.get("internal", False)

    def clean(self):
        data = super().clean()
        data.setdefault("internal", False)
        return data
