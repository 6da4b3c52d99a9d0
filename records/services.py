"""The service kit every record kind's services stand on, and the services every kind shares.

`changing()` opens the transaction, locks the row, checks the stated version, records the audit context (pghistory's
triggers write the trail) and, when the block ends, writes the row with a new version and sends record_changed. A
kind's named services (`take_incident`, `resolve_problem`, ...) are short on top of it; `transition()` adds the
workflow table's checks (legal from this state? this actor?) and sets the target state.

Shared services: conversation entries, typed links, watchers, time entries and timeline events, for any kind.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import StaleVersion

from . import signals
from .registry import kind_of


def audit(actor, action):
    """The audit context pghistory stores with every event written inside it."""
    return pghistory.context(user=actor.pk if actor else None, action=action)


def lock(record):
    return type(record).objects.select_for_update().get(pk=record.pk)


def check_version(record, version):
    """Refuse a stale write (409). None: the caller states no version (the system, or an action without a form)."""
    if version is None:
        return
    # Compared as text: int() would refuse "²" (a digit to isdigit) or thousands of digits with an error, not a 400.
    text = str(version)
    if not (text.isascii() and text.isdigit()):
        raise ValidationError({"version": _("The version must be a whole number.")})
    if text.lstrip("0") != str(record.version):
        raise StaleVersion(current_version=record.version)


def save(record):
    """Write an existing row, all but its search vectors: refresh_search keeps those, and an instance loaded before a
    refresh would otherwise put stale vectors back."""
    model = type(record)
    record.save(update_fields=[f.name for f in model._meta.concrete_fields
                               if not f.primary_key and f.name not in model.SEARCH_FIELDS])


@dataclass
class Change:
    """The locked record inside `changing()`; set `bump = False` for a change that is not a new version."""

    record: object
    before: dict
    action: str
    bump: bool = True
    write: bool = True
    changes: dict = field(default_factory=dict)


@contextmanager
def changing(record, *, actor, action, version=None):
    """Lock `record`, check `version`, and yield a Change; on leaving the block the record is written (new version)
    and record_changed sent, all in the one transaction. An exception inside rolls everything back."""
    with transaction.atomic(), audit(actor, action):
        locked = lock(record)
        check_version(locked, version)
        change = Change(record=locked, before=signals.snapshot(locked), action=action)
        yield change
        if change.write:
            if change.bump:
                locked.version += 1
            save(locked)
            change.changes = signals.send_changed(locked, change.before, action)


def check_action(record, action, actor, *, workflow=None):
    """The table's two questions, in order: is `action` legal from the record's state (409 with the legal ones),
    and may `actor` take it (403)? `actor` None is the system, which the table names like anyone else."""
    workflow = workflow or kind_of(record).workflow
    if action not in workflow.table:
        raise ValidationError({"action": _("Unknown action %(action)s.") % {"action": action}})
    workflow.check_legal(record, action)
    if not workflow.may_take(actor, record, action):
        raise PermissionDenied(_("You may not %(action)s this record.")
                               % {"action": workflow.action_labels.get(action, action)})


@contextmanager
def transition(record, action, *, actor, version=None):
    """`changing()` for a move through the workflow table: checks the move and the actor on the locked row, yields
    the Change, then sets the table's target state (unless the block chose one: a target of None in the table)."""
    with changing(record, actor=actor, action=action, version=version) as change:
        workflow = kind_of(record).workflow
        check_action(change.record, action, actor, workflow=workflow)
        target = workflow.table[action].target
        yield change
        if target is not None:
            change.record.state = target
