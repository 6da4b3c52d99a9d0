"""Forms of the administration pages. They only collect and clean input; the owning app's services validate the
record as a whole and save it (their errors come back on these fields through core.views_helpers.run_service)."""

import json
import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from cmdb.models import AttributeDefinition, CIClass
from core.forms import StyledFormMixin
from core.models import AssignmentGroup, Organisation, User
from core.roles import Role
from records.models import ReplyTemplate
from servicedesk.models import Category, Service


def time_zone_choices():
    return [("", _("The portal's time zone"))] + [(name, name) for name in sorted(zoneinfo.available_timezones())]


def staff_people():
    """Who may lead or join a group (the service checks it again)."""
    return User.objects.filter(is_active=True, groups__name__in=Role.STAFF).distinct().order_by("username")


class ServiceValidatedForm(StyledFormMixin, forms.ModelForm):
    """A model form that leaves the record's validation to the service (no instance is touched here)."""

    stamp = forms.CharField(widget=forms.HiddenInput, required=False)

    def _post_clean(self):
        pass

    def changes(self):
        return {name: value for name, value in self.cleaned_data.items() if name != "stamp"}


class UserForm(ServiceValidatedForm):
    roles = forms.MultipleChoiceField(label=_("Roles"), choices=list(Role.LABELS.items()),
                                      widget=forms.CheckboxSelectMultiple, required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices, required=False)

    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "phone", "organisation", "language", "time_zone",
                  "sees_organisation_tickets"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["roles"].widget.attrs.pop("class", None)  # on a checkbox list it would style the wrapper too
        if self.instance.pk:
            self.initial.setdefault("roles", [g.name for g in self.instance.groups.all() if g.name in Role.LABELS])


class InviteForm(UserForm):
    class Meta(UserForm.Meta):
        fields = ["username", *UserForm.Meta.fields]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("roles", [Role.END_USER])


class OrganisationForm(ServiceValidatedForm):
    class Meta:
        model = Organisation
        fields = ["name", "code"]


class GroupForm(ServiceValidatedForm):
    class Meta:
        model = AssignmentGroup
        fields = ["name", "email", "lead", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = staff_people()


class MemberForm(StyledFormMixin, forms.Form):
    user = forms.ModelChoiceField(label=_("Person"), queryset=User.objects.none())

    def __init__(self, *args, group=None, **kwargs):
        super().__init__(*args, **kwargs)
        candidates = staff_people()
        if group is not None:
            candidates = candidates.exclude(assignment_groups=group)
        self.fields["user"].queryset = candidates


class ServiceForm(ServiceValidatedForm):
    class Meta:
        model = Service
        fields = ["name", "description", "support_group", "is_active", "is_critical"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class CategoryForm(ServiceValidatedForm):
    class Meta:
        model = Category
        fields = ["name", "parent", "default_group", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Category.objects.select_related("parent")


class CIClassForm(ServiceValidatedForm):
    class Meta:
        model = CIClass
        fields = ["name", "code", "description", "parent", "is_service", "colour"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "colour": forms.TextInput(attrs={"type": "color"})}


class ChoicesField(forms.CharField):
    """The allowed values of a choice attribute, one a line (stored as a JSON list)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        if isinstance(value, str) and value.startswith("["):
            try:
                return "\n".join(json.loads(value))
            except (ValueError, TypeError):
                return value
        return value

    def to_python(self, value):
        text = super().to_python(value)
        return [line.strip() for line in text.splitlines() if line.strip()]


class AttributeForm(ServiceValidatedForm):
    choices = ChoicesField(label=_("Choices"), required=False, help_text=_("For the choice type: one value a line."))

    class Meta:
        model = AttributeDefinition
        fields = ["key", "label", "type", "required", "unique", "choices", "help_text", "position"]


class ReplyTemplateForm(ServiceValidatedForm):
    """A group's template, someone's personal one, or (neither) everyone's."""

    class Meta:
        model = ReplyTemplate
        fields = ["name", "group", "owner", "body_en", "body_zh"]
        widgets = {"body_en": forms.Textarea(attrs={"rows": 4}), "body_zh": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"body_en": _("Placeholders: {requester} {number} {title} {agent} {due}"),
                      "group": _("Empty for everyone's template (or a personal one).")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_people()
        self.fields["group"].queryset = AssignmentGroup.objects.filter(is_active=True).order_by("name")

