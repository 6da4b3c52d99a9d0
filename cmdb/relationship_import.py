"""The relationships part of an import: rows naming two CIs by external key and a relationship type by code.

The same rules as services.create_relationship, checked against preloaded data: the type exists and allows the two
classes, no CI is linked to itself, and a type that forbids loops gets none (those links are written one by one,
under the type's lock, so each check sees the links before it; the others are written in bulk). A link the CMDB
already has is "unchanged"; links the file does not mention are left alone.
"""

from collections import Counter

from django.db import transaction

from core.messages import stored
from core.messages import translatable as _  # row errors are stored, and shown in the reader's language

from .choices import ImportOutcome
from .graph import would_create_cycle
from .models import ConfigurationItem, Relationship
from .services import lock_cycle_check

FIELDS = ("source_key", "type", "target_key")
BATCH = 2000


class RelationshipImport:
    def __init__(self):
        self.report, self.counts = [], Counter()

    def refuse(self, entry, errors):
        entry["outcome"], entry["errors"] = ImportOutcome.REFUSED, stored(errors)
        self.counts[ImportOutcome.REFUSED] += 1


def _text(row, name):
    value = row.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else None


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def import_relationships(*, source, rows, key_to_ci, schemas, types, now, history):
    result = RelationshipImport()
    if not rows:
        return result
    by_code = {t.code: t for t in types}
    allowed = {t.pk: ({c.pk for c in t.allowed_source_classes.all()}, {c.pk for c in t.allowed_target_classes.all()})
               for t in types}
    endpoints = dict(key_to_ci)
    wanted = {_text(row, name) for _n, row in rows if isinstance(row, dict) for name in ("source_key", "target_key")}
    missing = sorted(k for k in wanted - set(endpoints) if k)
    for chunk in _chunks(missing, 5000):  # CIs of this source imported before, not in this file
        for key, pk, class_id in ConfigurationItem.objects.filter(
                external_source=source, external_key__in=chunk).values_list("external_key", "pk", "ci_class_id"):
            endpoints[key] = (pk, class_id, None)
    ids = sorted({pk for pk, _c, _r in endpoints.values() if pk})
    existing = {}
    id_set = set(ids)
    for chunk in _chunks(ids, 5000):
        for pk, source_id, target_id, type_id in Relationship.objects.filter(source_id__in=chunk).values_list(
                "pk", "source_id", "target_id", "type_id"):
            if target_id in id_set:
                existing[(source_id, target_id, type_id)] = pk
    forbidding = sorted((t for t in types if not t.allows_cycles), key=lambda t: t.pk)
    context = _Context(source, endpoints, existing, by_code, schemas, allowed, now)
    for batch in _chunks(rows, BATCH):
        # A transaction per batch: pghistory's trigger opens a subtransaction per row, and one transaction holding
        # tens of thousands of them makes every later row slower (PostgreSQL's subtransaction cache overflows).
        with transaction.atomic():
            history.apply()
            for rel_type in forbidding:
                lock_cycle_check(rel_type)
            pending, unchanged = [], []
            for number, row in batch:
                _row(result, context, number, row, pending, unchanged)
            Relationship.objects.bulk_create(pending, batch_size=BATCH)
            if unchanged:
                Relationship.objects.filter(pk__in=unchanged).update(last_seen_at=now)
    return result


class _Context:
    def __init__(self, source, endpoints, existing, by_code, schemas, allowed, now):
        self.source, self.endpoints, self.existing, self.by_code = source, endpoints, existing, by_code
        self.schemas, self.allowed, self.now = schemas, allowed, now


def _row(result, ctx, number, row, pending, unchanged):
    entry = {"row": number, "section": "relationships", "key": "", "ci": None, "outcome": "", "errors": {}}
    result.report.append(entry)
    if not isinstance(row, dict):
        result.refuse(entry, {"row": _("A relationship must be an object.")})
        return
    errors = {key: _("Unknown field.") for key in row if key not in FIELDS and key != "__extra__"}
    if row.get("__extra__"):
        errors["row"] = _("The row has more cells than the header has columns.")
    source_key, code, target_key = (_text(row, name) for name in FIELDS)
    entry["key"] = f"{source_key or '?'} —{code or '?'}→ {target_key or '?'}"
    rel_type = ctx.by_code.get(code or "")
    if rel_type is None:
        errors["type"] = _("Unknown relationship type “%(code)s”.") % {"code": code or ""}
    for name, key in (("source_key", source_key), ("target_key", target_key)):
        if not key or key not in ctx.endpoints:
            errors[name] = _("No CI with external key “%(key)s” in source “%(source)s” (or its row was "
                             "refused).") % {"key": key or "", "source": ctx.source}
    if errors:
        result.refuse(entry, errors)
        return
    source_id, source_class, _row_number = ctx.endpoints[source_key]
    target_id, target_class, _row_number = ctx.endpoints[target_key]
    errors = _rule_errors(rel_type, source_id, source_class, target_id, target_class, ctx.schemas, ctx.allowed)
    triple = (source_id, target_id, rel_type.pk)
    if not errors and triple in ctx.existing:
        entry["outcome"] = ImportOutcome.UNCHANGED
        if ctx.existing[triple] is not None:
            unchanged.append(ctx.existing[triple])
    elif not errors and not rel_type.allows_cycles:
        if would_create_cycle(source_id, target_id, rel_type.pk):
            errors["target_key"] = _("“%(target)s” already reaches “%(source)s” through “%(type)s” links: "
                                     "this type may not form a loop.") % {
                "target": target_key, "source": source_key, "type": rel_type.name}
        else:  # written now, so the next row's loop check sees it
            created = Relationship.objects.create(source_id=source_id, target_id=target_id, type=rel_type,
                                                  external_source=ctx.source, last_seen_at=ctx.now)
            ctx.existing[triple] = created.pk
            entry["outcome"] = ImportOutcome.CREATED
    elif not errors:
        pending.append(Relationship(source_id=source_id, target_id=target_id, type=rel_type,
                                    external_source=ctx.source, last_seen_at=ctx.now))
        ctx.existing[triple] = None
        entry["outcome"] = ImportOutcome.CREATED
    if errors:
        result.refuse(entry, errors)
    else:
        result.counts[entry["outcome"]] += 1


def _rule_errors(rel_type, source_id, source_class, target_id, target_class, schemas, allowed):
    if source_id == target_id:
        return {"target_key": _("A CI cannot be related to itself.")}
    errors = {}
    sources, targets = allowed[rel_type.pk]
    if sources and not sources & set(schemas[source_class].lineage_ids):
        errors["source_key"] = _("A %(cls)s cannot be the source of “%(type)s” relationships.") % {
            "cls": schemas[source_class].ci_class.name, "type": rel_type.name}
    if targets and not targets & set(schemas[target_class].lineage_ids):
        errors["target_key"] = _("A %(cls)s cannot be the target of “%(type)s” relationships.") % {
            "cls": schemas[target_class].ci_class.name, "type": rel_type.name}
    return errors
