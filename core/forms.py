"""Form bases shared by every practice: Bootstrap styling and multi-file upload."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import User


class StyledFormMixin:
    """Give every widget the Bootstrap class its type needs, so templates can render fields generically."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero or more files; size and type are checked by the service (one rule for pages and API)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class PreferencesForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "phone", "language"]
        labels = {"language": _("Language")}


class SavedViewForm(forms.Form):
    """Save what a record list shows now as a named view (core.saved_views checks it against the list)."""

    name = forms.CharField(label=_("Name"), max_length=100, error_messages={"required": _("Give the view a name.")})
    shared_with = forms.ModelChoiceField(label=_("Share with"), queryset=None, required=False)
    columns = forms.MultipleChoiceField(label=_("Columns"), required=False)
    query = forms.CharField(required=False, max_length=2000)
    ordering = forms.CharField(required=False, max_length=50)

    def __init__(self, *args, user, record_list, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shared_with"].queryset = user.assignment_groups.filter(is_active=True)
        self.fields["columns"].choices = list(record_list.columns.items())
        self.record_list = record_list

    def clean_columns(self):
        # Every column ticked is the list's default: stored as none, so columns added later appear in the view too.
        columns = self.cleaned_data["columns"]
        return [] if len(columns) == len(self.record_list.columns) else columns
