"""Forms of the agreement pages: the agreement's own fields (labels and choices from the model), a grid of targets
with one cell per priority × metric (a metric or priority added later gets its cells by itself), and escalation
steps as rows. sla.definitions validates all of it; the views put its errors back on the cell or row they name.
"""

import re

from django import forms
from django.forms.models import fields_for_model
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from core.models import AssignmentGroup
from incidents.choices import Priority

from ..choices import EscalationAction, Metric
from ..models import EscalationStep, SLADefinition
from .common import INPUT, SELECT, BusinessDurationField, RowForm, RowFormSet, leave_validation_to_the_service

MODEL_FIELDS = ["name", "kind", "party", "description", "is_active", "record_kind", "services", "organisations",
                "assignment_groups", "calendar", "reopen_policy"]
FIELDS = [*MODEL_FIELDS, "priorities", "warning_thresholds"]
_MULTI = forms.SelectMultiple(attrs={**SELECT, "size": 5})


def target_field_name(priority, metric):
    return f"target_{priority}_{metric}"


class PercentListField(forms.CharField):
    """Whole percentages separated by commas ("75, 90"); empty is none."""

    default_error_messages = {"invalid": _("Enter whole percentages separated by commas, e.g. 75, 90.")}

    def prepare_value(self, value):
        return ", ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else value

    def to_python(self, value):
        text = super().to_python(value)
        items = [item for item in re.split(r"[,，;\s]+", text or "") if item]
        try:
            return [int(item) for item in items]
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class AgreementForm(forms.Form):
    revision = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.target_problems = []  # about the targets as a whole ("give at least one"), shown above the grid
        model = SLADefinition._meta
        self.fields.update(fields_for_model(SLADefinition, fields=MODEL_FIELDS, widgets={
            "name": forms.TextInput(attrs=INPUT), "party": forms.TextInput(attrs=INPUT),
            "description": forms.Textarea(attrs={**INPUT, "rows": 2}),
            "is_active": forms.CheckboxInput(attrs={"class": "form-check-input"}),
            "kind": forms.Select(attrs=SELECT), "record_kind": forms.Select(attrs=SELECT),
            "calendar": forms.Select(attrs=SELECT), "reopen_policy": forms.Select(attrs=SELECT),
            "services": _MULTI, "organisations": _MULTI, "assignment_groups": _MULTI,
        }))
        leave_validation_to_the_service(self)
        self.fields["services"].help_text = _("Empty: every service.")
        self.fields["organisations"].help_text = _("Empty: every organisation.")
        self.fields["assignment_groups"].help_text = _("Empty: whichever group holds the record. For an OLA, the "
                                                       "groups it binds.")
        self.fields["priorities"] = forms.TypedMultipleChoiceField(
            label=capfirst(model.get_field("priorities").verbose_name), choices=Priority.choices, coerce=int,
            required=False, help_text=_("Empty: every priority."), widget=forms.CheckboxSelectMultiple)
        self.fields["warning_thresholds"] = PercentListField(
            label=capfirst(model.get_field("warning_thresholds").verbose_name), required=False,
            help_text=_("Percentages of the target (1–99) at which a clock is at risk; default 75 and 90."),
            widget=forms.TextInput(attrs=INPUT))
        for priority in Priority:
            for metric in Metric:
                self.fields[target_field_name(priority, metric)] = BusinessDurationField(
                    label=f"{priority.label} · {metric.label}", required=False,
                    widget=forms.TextInput(attrs={**INPUT, "placeholder": "—", "style": "width: 8rem"}))

    def values(self):
        """The agreement's fields as sla.definitions takes them."""
        return {name: self.cleaned_data[name] for name in FIELDS}

    def targets(self):
        """([{priority, metric, duration}] of the filled cells, [their field names]) in grid order."""
        rows, names = [], []
        for priority in Priority:
            for metric in Metric:
                name = target_field_name(priority, metric)
                if self.cleaned_data.get(name) is not None:
                    rows.append({"priority": priority.value, "metric": metric.value,
                                 "duration": self.cleaned_data[name]})
                    names.append(name)
        return rows, names

    def grid(self):
        """The target cells for the page: one row per priority, one column per metric."""
        return {"metrics": [metric.label for metric in Metric],
                "rows": [{"priority": priority, "cells": [self[target_field_name(priority, metric)]
                                                          for metric in Metric]} for priority in Priority]}


def agreement_initial(agreement):
    initial = {name: getattr(agreement, name) for name in FIELDS if name not in {
        "services", "organisations", "assignment_groups", "calendar"}}
    initial.update(calendar=agreement.calendar_id, revision=str(agreement.revision),
                   services=[s.pk for s in agreement.services.all()],
                   organisations=[o.pk for o in agreement.organisations.all()],
                   assignment_groups=[g.pk for g in agreement.assignment_groups.all()])
    for target in agreement.targets.all():
        initial[target_field_name(target.priority, target.metric)] = target.duration
    return initial


def _step_label(name):
    return capfirst(EscalationStep._meta.get_field(name).verbose_name)


class StepForm(RowForm):
    """One escalation step. Groups are offered active or not, so that an inactive one is refused with the
    service's message; a deleted one is not a valid choice."""

    REQUIRED = ("at_percent", "action")

    at_percent = forms.IntegerField(label=_step_label("at_percent"), required=False,
                                    widget=forms.NumberInput(attrs={**INPUT, "style": "width: 6rem"}))
    metric = forms.ChoiceField(label=_step_label("metric"), required=False,
                               choices=[("", _("Both metrics")), *Metric.choices], widget=forms.Select(attrs=SELECT))
    action = forms.ChoiceField(label=_step_label("action"), required=False,
                               choices=[("", "—"), *EscalationAction.choices], widget=forms.Select(attrs=SELECT))
    target_group = forms.TypedChoiceField(label=_step_label("target_group"), required=False, coerce=int,
                                          empty_value=None, widget=forms.Select(attrs=SELECT))

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.groups = {group.pk: group for group in groups}
        self.fields["target_group"].choices = [("", "—"), *(
            (group.pk, group.name if group.is_active else _("%(name)s (inactive)") % {"name": group.name})
            for group in groups)]

    def values(self):
        values = super().values()
        if values is not None:
            values["target_group"] = self.groups.get(values["target_group"])
        return values


StepFormSet = forms.formset_factory(StepForm, formset=RowFormSet, extra=2, can_delete=True)


def step_formset(data=None, steps=None):
    groups = list(AssignmentGroup.objects.order_by("name"))
    initial = None if data is not None else [
        {"at_percent": s.at_percent, "metric": s.metric, "action": s.action, "target_group": s.target_group_id}
        for s in steps or ()]
    return StepFormSet(data, prefix="steps", initial=initial, form_kwargs={"groups": groups})
