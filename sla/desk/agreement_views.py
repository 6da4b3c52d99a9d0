"""Agreement pages: the list, an agreement's page (targets per priority × metric, escalation steps), creating,
editing and deleting. Changes go through sla.definitions; its ValidationErrors are put on the field, target cell or
step row they name, and nothing is saved when anything is wrong. A stale edit (the agreement changed since the page
was opened) answers 409.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.exceptions import Conflict, StaleVersion
from incidents.choices import Priority

from .. import definitions
from ..choices import Metric
from ..models import DEFAULT_WARNING_THRESHOLDS, EscalationStep, SLADefinition
from .agreement_forms import AgreementForm, agreement_initial, step_formset
from .common import edit_required, error_dict, format_business_duration, may_edit, place_errors, view_required

_STEPS = Prefetch("steps", queryset=EscalationStep.objects.select_related("target_group").order_by("at_percent", "id"))


def _agreements(request):
    return SLADefinition.objects.visible_to(request.user).select_related("calendar").prefetch_related(
        "services", "organisations", "assignment_groups").order_by("name")


def applies_to(agreement):
    """[(what, to which)] of an agreement's conditions; an empty condition reads "any"."""
    meta = SLADefinition._meta

    def names(items):
        return ", ".join(str(item) for item in items) or _("Any")

    return [
        (capfirst(meta.get_field("record_kind").verbose_name), agreement.get_record_kind_display()),
        (capfirst(meta.get_field("services").verbose_name), names(s.name for s in agreement.services.all())),
        (capfirst(meta.get_field("organisations").verbose_name), names(o.name for o in agreement.organisations.all())),
        (capfirst(meta.get_field("priorities").verbose_name),
         names(Priority(p).label for p in sorted(agreement.priorities))),
        (capfirst(meta.get_field("assignment_groups").verbose_name),
         names(g.name for g in agreement.assignment_groups.all())),
    ]


@view_required
@require_GET
def agreement_list(request):
    rows = [{"agreement": a, "applies_to": applies_to(a)} for a in _agreements(request)]
    return render(request, "sla/desk/agreement_list.html", {"rows": rows, "can_edit": may_edit(request.user),
                                                            "tab": "agreements"})


def _detail_context(request, agreement):
    durations = {(t.priority, t.metric): t.duration for t in agreement.targets.all()}
    grid = {"metrics": [metric.label for metric in Metric],
            "rows": [{"priority": priority, "cells": [format_business_duration(durations.get((priority, metric)))
                                                      for metric in Metric]} for priority in Priority]}
    return {"agreement": agreement, "applies_to": applies_to(agreement), "grid": grid,
            "steps": agreement.steps.all(), "can_edit": may_edit(request.user), "tab": "agreements"}


@view_required
@require_GET
def agreement_detail(request, pk):
    agreement = get_object_or_404(_agreements(request).prefetch_related("targets", _STEPS), pk=pk)
    return render(request, "sla/desk/agreement_detail.html", _detail_context(request, agreement))


def _place_agreement_errors(form, steps, exc, targets, target_names, step_rows):
    errors = error_dict(exc)
    place_errors(form, errors, skip={"targets", "steps"})
    if "targets" in errors:
        problems = definitions.target_errors(targets)
        if any(problems):
            for name, problem in zip(target_names, problems, strict=True):
                for message in problem.values():
                    form.add_error(name, message)
        else:
            form.target_problems.extend(errors["targets"])
    if "steps" in errors:
        steps.place_refusal(step_rows, errors["steps"], definitions.steps_errors)


def _preview(form, steps):
    """While some input cannot be read, still show what the services' row checks say about the rest."""
    steps.preview(definitions.steps_errors)
    if hasattr(form, "cleaned_data"):
        targets, names = form.targets()
        for name, problem in zip(names, definitions.target_errors(targets), strict=True):
            for message in problem.values():
                form.add_error(name, message)


def _form_page(request, agreement, form, steps, status):
    return render(request, "sla/desk/agreement_form.html", {
        "agreement": agreement, "form": form, "steps": steps, "grid": form.grid(), "tab": "agreements",
    }, status=status)


def _save(request, agreement, form, steps):
    """Call the service with the page's input; (agreement, None) or (None, status) with the errors placed."""
    targets, target_names = form.targets()
    step_rows = steps.live_rows()
    parts = {"targets": targets, "steps": [values for _form, values in step_rows], **form.values()}
    try:
        if agreement is None:
            return definitions.create_agreement(actor=request.user, **parts), None
        with transaction.atomic():
            locked = SLADefinition.objects.select_for_update().get(pk=agreement.pk)
            if form.cleaned_data["revision"] and form.cleaned_data["revision"] != str(locked.revision):
                raise StaleVersion()
            return definitions.update_agreement(locked, actor=request.user, **parts), None
    except StaleVersion as exc:
        form.add_error(None, exc.message)
        return None, exc.status_code
    except ValidationError as exc:
        _place_agreement_errors(form, steps, exc, targets, target_names, step_rows)
        return None, 400


def _edit_page(request, agreement):
    if request.method == "GET":
        if agreement is None:
            form = AgreementForm(initial={"warning_thresholds": list(DEFAULT_WARNING_THRESHOLDS)})
        else:
            form = AgreementForm(initial=agreement_initial(agreement))
        return _form_page(request, agreement, form, step_formset(steps=agreement.steps.all() if agreement else ()),
                          200)
    form, steps = AgreementForm(request.POST), step_formset(request.POST)
    status = 400
    if all([form.is_valid(), steps.is_valid()]):
        saved, status = _save(request, agreement, form, steps)
        if saved is not None:
            message = _("Agreement “%(name)s” saved.") if agreement else _("Agreement “%(name)s” created.")
            messages.success(request, message % {"name": saved.name})
            return redirect("sla-desk:agreement", pk=saved.pk)
    else:
        _preview(form, steps)
    return _form_page(request, agreement, form, steps, status)


@edit_required
@require_http_methods(["GET", "POST"])
def agreement_create(request):
    return _edit_page(request, None)


@edit_required
@require_http_methods(["GET", "POST"])
def agreement_edit(request, pk):
    agreement = get_object_or_404(_agreements(request).prefetch_related("targets", _STEPS), pk=pk)
    return _edit_page(request, agreement)


@edit_required
@require_http_methods(["GET", "POST"])
def agreement_delete(request, pk):
    agreement = get_object_or_404(_agreements(request), pk=pk)
    if request.method == "GET":
        return render(request, "sla/desk/confirm_delete.html", {
            "object": agreement, "tab": "agreements", "blockers": (),
            "cancel_url": reverse("sla-desk:agreement", args=[agreement.pk])})
    try:
        definitions.delete_agreement(agreement, actor=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
        agreement = get_object_or_404(_agreements(request).prefetch_related("targets", _STEPS), pk=pk)
        return render(request, "sla/desk/agreement_detail.html", _detail_context(request, agreement),
                      status=exc.status_code)
    messages.success(request, _("Agreement “%(name)s” deleted.") % {"name": agreement.name})
    return redirect("sla-desk:agreements")
