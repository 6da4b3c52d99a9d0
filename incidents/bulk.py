"""One change applied to many incidents (the queue's checked rows, the API's bulk endpoint), row by row through the
same service functions as a single change: each row is its own transaction, with its own version check, so a row
someone else changed meanwhile is refused (409) and the others still change."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import ServiceError

from . import services, workflow
from .choices import Action

SET_PRIORITY = "set_priority"
# The bulk operations: every transition of the lifecycle table, and setting impact/urgency (hence the priority).
OPERATIONS = {**{action: label for action, label in Action.choices if action in workflow.TRANSITIONS},
              SET_PRIORITY: gettext_lazy("Set priority")}
MAX_ROWS = 200


def _message(exc):
    if hasattr(exc, "error_dict"):
        return " ".join(" ".join(errors) for errors in exc.message_dict.values())
    return " ".join(exc.messages)


def _apply(incident, operation, *, actor, version, options):
    if operation == SET_PRIORITY:
        changes = {name: options[name] for name in ("impact", "urgency") if options.get(name) is not None}
        if not changes:
            raise ValidationError({"impact": _("Choose an impact or an urgency.")})
        return services.update_incident(incident, actor=actor, version=version, **changes)
    return services.transition_incident(
        incident, operation, actor=actor, version=version,
        assignment_group=options.get("assignment_group"), assignee=options.get("assignee"),
        resolution_code=options.get("resolution_code") or "", resolution_notes=options.get("resolution_notes") or "",
        comment=options.get("comment") or "",
    )


def bulk_change(visible, rows, operation, *, actor, **options):
    """Apply `operation` to each (number, version) of `rows` among the `visible` incidents (the caller's
    visible_to queryset). Answers one result per row, in order: {"number", "status", "detail", "version"}, status
    200 for a changed row, else the status a single change would have had (404 unseen, 409 stale, ...)."""
    if operation not in OPERATIONS:
        raise ValidationError({"action": _("Unknown action %(action)s.") % {"action": operation}})
    if not rows:
        raise ValidationError({"incidents": _("Choose at least one incident.")})
    if len(rows) > MAX_ROWS:
        raise ValidationError({"incidents": _("At most %(n)d incidents at once.") % {"n": MAX_ROWS}})
    found = {i.number: i for i in visible.filter(number__in=[number for number, _version in rows])}
    results = []
    for number, version in rows:
        incident = found.get(number)
        result = {"number": number, "status": 200, "detail": "", "version": None}
        if incident is None:
            result.update(status=404, detail=_("No such incident, or not visible to you."))
        else:
            try:
                changed = _apply(incident, operation, actor=actor, version=version, options=options)
                result["version"] = changed.version
            except ServiceError as exc:
                result.update(status=exc.status_code, detail=str(exc.message))
            except PermissionDenied as exc:
                result.update(status=403, detail=str(exc) or _("Permission denied."))
            except ValidationError as exc:
                result.update(status=400, detail=_message(exc))
        results.append(result)
    return results
