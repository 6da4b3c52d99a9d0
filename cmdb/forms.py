"""Forms of the CMDB pages. They only shape input: every check of a CI's attributes and of a relationship is made
by cmdb.services (the same as for the API and imports), whose errors the views put back on these fields.
"""

from datetime import UTC

from django import forms
from django.utils.translation import gettext_lazy as _

from core.models import AssignmentGroup, Organisation, User

from .choices import AttributeType, Lifecycle
from .models import RelationshipType

ATTRIBUTE_FIELD_PREFIX = "attr_"
_INPUT_TYPES = {
    AttributeType.INTEGER: "number", AttributeType.DATE: "date", AttributeType.URL: "url",
}


def _input(kind):
    attrs = {"class": "form-control"}
    if kind in _INPUT_TYPES:
        attrs["type"] = _INPUT_TYPES[kind]
    if kind == AttributeType.DECIMAL:
        attrs["inputmode"] = "decimal"
    return forms.TextInput(attrs=attrs)


def attribute_field(definition):
    """A form field for one attribute definition; the value is passed to the services as text."""
    common = {"label": definition.label, "required": False, "help_text": definition.help_text}
    if definition.type == AttributeType.CHOICE:
        choices = [("", "—"), *((c, c) for c in definition.choices or [])]
        return forms.ChoiceField(choices=choices, widget=forms.Select(attrs={"class": "form-select"}), **common)
    if definition.type == AttributeType.BOOLEAN:
        choices = [("", "—"), ("yes", _("Yes")), ("no", _("No"))]
        return forms.ChoiceField(choices=choices, widget=forms.Select(attrs={"class": "form-select"}), **common)
    return forms.CharField(widget=_input(definition.type), **common)


def _initial(definition, value):
    if value is None:
        return ""
    if definition.type == AttributeType.BOOLEAN:
        return "yes" if value else "no"
    return str(value)


class ConfigurationItemForm(forms.Form):
    """A CI's fields and, after them, one field per attribute its class defines (`attr_<key>`)."""

    name = forms.CharField(label=_("Name"), max_length=200, widget=forms.TextInput(attrs={"class": "form-control"}))
    state = forms.ChoiceField(label=_("Lifecycle state"), choices=Lifecycle.choices, initial=Lifecycle.IN_USE,
                              widget=forms.Select(attrs={"class": "form-select"}))
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.filter(is_active=True), required=False,
                                   widget=forms.Select(attrs={"class": "form-select"}))
    support_group = forms.ModelChoiceField(label=_("Support group"), required=False,
                                           queryset=AssignmentGroup.objects.filter(is_active=True),
                                           widget=forms.Select(attrs={"class": "form-select"}))
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.all(),
                                          required=False, widget=forms.Select(attrs={"class": "form-select"}))
    location = forms.CharField(label=_("Location"), max_length=200, required=False,
                               widget=forms.TextInput(attrs={"class": "form-control"}))
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, schema, instance=None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name, "state": instance.state, "owner": instance.owner_id,
                "support_group": instance.support_group_id, "organisation": instance.organisation_id,
                "location": instance.location, "description": instance.description, "version": instance.version,
                **{f"{ATTRIBUTE_FIELD_PREFIX}{key}": _initial(d, instance.attributes.get(key))
                   for key, d in schema.definitions.items()},
            }
        super().__init__(*args, **kwargs)
        self.schema = schema
        for key, definition in schema.definitions.items():
            field = attribute_field(definition)
            field.definition = definition
            self.fields[f"{ATTRIBUTE_FIELD_PREFIX}{key}"] = field

    def attribute_fields(self):
        return [self[name] for name in self.fields if name.startswith(ATTRIBUTE_FIELD_PREFIX)]

    def main_fields(self):
        return [self[name] for name in self.fields if not name.startswith(ATTRIBUTE_FIELD_PREFIX)
                and name != "version"]

    def service_arguments(self, instance=None):
        """Fields for services.create_ci/update_ci: the whole attribute set, empty ones left out."""
        data = self.cleaned_data
        changes = {name: data[name] for name in ("name", "state", "owner", "support_group", "organisation",
                                                 "location", "description")}
        attributes = {key: data.get(f"{ATTRIBUTE_FIELD_PREFIX}{key}") for key in self.schema.definitions}
        if instance is not None:  # keep values of keys the form does not show (none, unless definitions changed)
            attributes = {**{k: v for k, v in instance.attributes.items() if k not in self.schema.definitions},
                          **attributes}
        changes["attributes"] = {k: v for k, v in attributes.items() if v not in (None, "")}
        return changes

    def add_service_errors(self, errors):
        """Put a service's ValidationError messages on the fields they name (attributes.<key> → attr_<key>)."""
        unplaced = []
        for name, messages in errors.items():
            field = f"{ATTRIBUTE_FIELD_PREFIX}{name[len('attributes.'):]}" if name.startswith("attributes.") else name
            for message in messages:
                if field in self.fields:
                    self.add_error(field, message)
                else:
                    unplaced.append(message)
        for message in unplaced:
            self.add_error(None, message)


def find_ci(visible, text):
    """The one CI among `visible` that `text` names, by number (“42”, “#42”) or exact name; else a ValidationError
    to show on the field. For the fields where staff type a CI (a relationship's other end, an incident's CI)."""
    value = text.strip().lstrip("#")
    matches = visible.filter(pk=int(value)) if value.isdecimal() else visible.filter(name=value)
    found = list(matches.select_related("ci_class")[:2])
    if not found:
        raise forms.ValidationError(_("No CI “%(value)s”.") % {"value": value})
    if len(found) > 1:
        raise forms.ValidationError(_("Several CIs are called “%(value)s”: give the number.") % {"value": value})
    return found[0]


class RelationshipForm(forms.Form):
    DIRECTIONS = [("outgoing", _("this CI —reads→ the other")), ("incoming", _("the other —reads→ this CI"))]

    type = forms.ModelChoiceField(label=_("Relationship"), queryset=RelationshipType.objects.all(),
                                  widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    direction = forms.ChoiceField(label=_("Direction"), choices=DIRECTIONS, initial="outgoing",
                                  widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    other = forms.CharField(label=_("Other CI (number or exact name)"), max_length=200,
                            widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))

    def __init__(self, *args, visible, **kwargs):
        super().__init__(*args, **kwargs)
        self.visible = visible

    def clean_other(self):
        return find_ci(self.visible, self.cleaned_data["other"])


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CIs (CSV or JSON)"),
                           widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".csv,.json"}))
    relationships_file = forms.FileField(
        label=_("Relationships (CSV, optional)"), required=False,
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".csv"}))
    source = forms.CharField(label=_("Source"), max_length=50, initial="import",
                             help_text=_("The discovery tool or spreadsheet the keys come from."),
                             widget=forms.TextInput(attrs={"class": "form-control"}))


class CompareForm(forms.Form):
    earlier = forms.DateTimeField(label=_("From"), widget=forms.DateTimeInput(
        attrs={"type": "datetime-local", "class": "form-control form-control-sm"}))
    later = forms.DateTimeField(label=_("To"), widget=forms.DateTimeInput(
        attrs={"type": "datetime-local", "class": "form-control form-control-sm"}))

    def clean(self):
        cleaned = super().clean()
        for name in ("earlier", "later"):
            if cleaned.get(name) is not None:
                try:  # PostgreSQL refuses offsets beyond ±15:59 that Python accepts; near year 1 UTC overflows
                    cleaned[name] = cleaned[name].astimezone(UTC)
                except OverflowError:
                    self.add_error(name, forms.DateTimeField.default_error_messages["invalid"])
        return cleaned

