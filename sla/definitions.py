"""The only way service level agreements change (the API and the admin site call these). Each function validates
the whole agreement (naming the failing field, and row for targets and steps), writes it in one transaction with the
agreement row locked, and marks the agreement's clocks stale when anything they depend on changed (targets,
thresholds, steps, calendar): the next scan queues their recomputation in the background (sla.engine).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from core.exceptions import Conflict
from core.roles import is_admin
from incidents.choices import Priority

from . import recompute
from .choices import Metric
from .models import EscalationStep, SLADefinition, SLATarget, step_errors
from .models.definitions import duration_error
from .services import rows_validation_error

FIELDS = ("name", "kind", "description", "party", "is_active", "record_kind", "priorities", "calendar",
          "warning_thresholds", "reopen_policy")
RELATIONS = ("services", "organisations", "assignment_groups")


def _timing(agreement):
    """What, besides targets and steps, decides when the agreement's open clocks are due."""
    return agreement.calendar_id, sorted(agreement.warning_thresholds or ())


def _require_admin(actor):
    if actor is not None and not is_admin(actor):
        raise PermissionDenied(_("Only an administrator may change service level agreements."))


def target_errors(targets):
    """Per-row problems ({field: message} or {}) of a list of targets: {priority, metric, duration}."""
    errors = [{} for _target in targets]
    seen = {}
    for index, target in enumerate(targets):
        if problem := duration_error(target.get("duration")):
            errors[index]["duration"] = problem
        if target.get("priority") not in Priority.values:
            errors[index]["priority"] = _("Choose a priority.")
        if target.get("metric") not in Metric.values:
            errors[index]["metric"] = _("Choose first response or resolution.")
        key = (target.get("priority"), target.get("metric"))
        if key in seen:
            errors[index]["priority"] = _("Row %(row)s already sets this priority's target for this metric.") % {
                "row": seen[key] + 1}
        seen.setdefault(key, index)
    return errors


def steps_errors(steps):
    """Per-row problems of a list of escalation steps: {at_percent, action, metric, target_group}."""
    return [step_errors(step.get("at_percent"), step.get("action"), step.get("target_group")) for step in steps]


def targets_error(targets):
    """What is wrong with a whole set of targets: a message when there is none, else the per-row problems if any
    (target_errors), else None."""
    if not targets:
        return _("Give at least one target (first response or resolution, for some priority).")
    problems = target_errors(targets)
    return problems if any(problems) else None


def _check(agreement, targets, steps):
    errors = {}
    try:
        agreement.full_clean(exclude=["checkpoints", "revision", "clocks_stale_since", "recompute_lease_until"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if targets is not None and (problems := targets_error(targets)):
        errors["targets"] = problems
    if steps is not None and any(problems := steps_errors(steps)):
        errors["steps"] = problems
    if errors:
        raise rows_validation_error(errors)


def _write_parts(agreement, targets, steps):
    if targets is not None:
        agreement.targets.all().delete()
        SLATarget.objects.bulk_create(SLATarget(sla=agreement, priority=t["priority"], metric=t["metric"],
                                                duration=t["duration"]) for t in targets)
    if steps is not None:
        agreement.steps.all().delete()
        EscalationStep.objects.bulk_create(EscalationStep(
            sla=agreement, at_percent=s["at_percent"], action=s["action"], metric=s.get("metric") or "",
            target_group=s.get("target_group")) for s in steps)
    percents = [s["at_percent"] for s in steps] if steps is not None else None
    agreement.checkpoints = agreement.compute_checkpoints(percents)
    SLADefinition.objects.filter(pk=agreement.pk).update(checkpoints=agreement.checkpoints)


def _set_relations(agreement, relations):
    for name in RELATIONS:
        if relations.get(name) is not None:
            getattr(agreement, name).set(relations[name])


def _split(fields):
    unknown = set(fields) - set(FIELDS) - set(RELATIONS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    return ({k: v for k, v in fields.items() if k in FIELDS}, {k: v for k, v in fields.items() if k in RELATIONS})


@transaction.atomic
def create_agreement(*, actor, targets, steps=(), **fields):
    """A new agreement with its targets ({priority, metric, duration}) and steps ({at_percent, action, ...})."""
    _require_admin(actor)
    values, relations = _split(fields)
    targets, steps = list(targets), list(steps)
    agreement = SLADefinition(**values)
    _check(agreement, targets, steps)
    agreement.save()
    _set_relations(agreement, relations)
    _write_parts(agreement, targets, steps)
    return agreement


@transaction.atomic
def update_agreement(agreement, *, actor, targets=None, steps=None, **fields):
    """Change an agreement; `targets` / `steps`, when given, replace the whole set. Open clocks follow in the
    background when timing changed; new applicability (services, priorities, ...) counts from each record's next
    change."""
    _require_admin(actor)
    values, relations = _split(fields)
    agreement = SLADefinition.objects.select_for_update().get(pk=agreement.pk)
    timing_before = _timing(agreement)
    for name, value in values.items():
        setattr(agreement, name, value)
    timing_changed = _timing(agreement) != timing_before
    targets = None if targets is None else list(targets)
    steps = None if steps is None else list(steps)
    _check(agreement, targets, steps)
    agreement.save()
    _set_relations(agreement, relations)
    _write_parts(agreement, targets, steps)
    if timing_changed or targets is not None or steps is not None:
        recompute.mark_stale([agreement.pk])
    return SLADefinition.objects.get(pk=agreement.pk)


@transaction.atomic
def delete_agreement(agreement, *, actor):
    """Remove an agreement that never ran a clock; one that did is kept for the reports (deactivate it instead)."""
    _require_admin(actor)
    agreement = SLADefinition.objects.select_for_update().get(pk=agreement.pk)
    try:
        with transaction.atomic():
            agreement.delete()
    except ProtectedError:
        raise Conflict(_("This agreement has clocks on records and is kept for the reports; deactivate it "
                         "instead.")) from None
