"""The history of a CI, read from pghistory's trigger-written snapshots: every change to the CI and to its
relationships (who, when, old → new), and the CI compared between two instants.

Diffs are computed here between consecutive snapshots of the same row, attribute by attribute, so the trail reads
"Operating system: Windows → Linux" rather than one changed JSON blob.
"""

from django.db.models import Q
from django.utils.translation import gettext as _

from core.models import AssignmentGroup, Organisation, User

from .choices import Lifecycle
from .models import AttributeDefinition, CIClass, ConfigurationItem, Relationship, RelationshipType

SHOWN_FIELDS = ("ci_class", "name", "state", "owner", "support_group", "organisation", "location", "description",
                "external_source", "external_key")
_REFERENCES = {"ci_class": CIClass, "owner": User, "support_group": AssignmentGroup, "organisation": Organisation}


def _ci_events():
    return ConfigurationItem.pgh_event_model.objects.select_related("pgh_context")


def _relationship_events(ci):
    return Relationship.pgh_event_model.objects.select_related("pgh_context").filter(
        Q(source_id=ci.pk) | Q(target_id=ci.pk))


def _snapshot(event):
    data = {name: getattr(event, f"{name}_id" if name in _REFERENCES else name) for name in SHOWN_FIELDS}
    data["attributes"] = dict(event.attributes or {})
    return data


class _Names:
    """Resolves ids in snapshots to names with one query per kind."""

    def __init__(self, ci, snapshots, extra_users=()):
        wanted = {name: set() for name in _REFERENCES}
        for snapshot in snapshots:
            for name in _REFERENCES:
                if snapshot.get(name):
                    wanted[name].add(snapshot[name])
        wanted["owner"].update(u for u in extra_users if u)
        self.names = {name: {o.pk: str(o) for o in model.objects.filter(pk__in=wanted[name])}
                      for name, model in _REFERENCES.items()}
        # Classes may give one key different labels (a server's "IP address", a network device's "Management IP"):
        # the CI's own class and its ancestors win; a key no class of its lineage defines takes any class's label.
        lineage = {c.pk for c in ci.ci_class.lineage()}
        definitions = sorted(AttributeDefinition.objects.only("key", "label", "ci_class_id"),
                             key=lambda d: d.ci_class_id in lineage)
        self.labels = {d.key: d.label for d in definitions}
        self.states = dict(Lifecycle.choices)

    def show(self, field, value):
        if value in (None, ""):
            return "—"
        if field in _REFERENCES:
            return self.names[field].get(value, f"#{value}")
        if field == "state":
            return str(self.states.get(value, value))
        return str(value)

    def person(self, user_id):
        return self.names["owner"].get(user_id, "") if user_id else ""


def _plain(value):
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def _field_label(name):
    return str(ConfigurationItem._meta.get_field(name).verbose_name)


def diff(before, after, names):
    """[{"field", "old", "new"}] between two snapshots (fields first, then attributes by key)."""
    changes = []
    for name in SHOWN_FIELDS:
        if before.get(name) != after.get(name):
            changes.append({"field": _field_label(name), "old": names.show(name, before.get(name)),
                            "new": names.show(name, after.get(name))})
    old_attrs, new_attrs = before.get("attributes") or {}, after.get("attributes") or {}
    for key in sorted(set(old_attrs) | set(new_attrs)):
        if old_attrs.get(key) != new_attrs.get(key):
            changes.append({"field": names.labels.get(key, key), "old": _plain(old_attrs.get(key)),
                            "new": _plain(new_attrs.get(key))})
    return changes


def _user_of(event):
    context = event.pgh_context
    return (context.metadata or {}).get("user") if context else None


def _action_of(event):
    context = event.pgh_context
    return (context.metadata or {}).get("action", "") if context else ""


def _describe(event, ci, types, others):
    rel_type = types.get(event.type_id)
    outgoing = event.source_id == ci.pk
    other = others.get(event.target_id if outgoing else event.source_id, _("a removed CI"))
    label = (rel_type.forward_label if outgoing else rel_type.reverse_label) if rel_type else "?"
    return f"{ci.name} {label} {other}"


def ci_history(ci):
    """Every change of the CI and its relationships, oldest first."""
    ci_events = list(_ci_events().filter(pgh_obj_id=ci.pk).order_by("pgh_created_at", "pgh_id"))
    rel_events = list(_relationship_events(ci).order_by("pgh_created_at", "pgh_id"))
    snapshots = [_snapshot(e) for e in ci_events]
    names = _Names(ci, snapshots, extra_users=[_user_of(e) for e in ci_events + rel_events])
    types = RelationshipType.objects.in_bulk({e.type_id for e in rel_events})
    others = dict(ConfigurationItem.objects.filter(
        pk__in={e.source_id for e in rel_events} | {e.target_id for e in rel_events}).values_list("pk", "name"))
    rows, previous = [], None
    for event, snapshot in zip(ci_events, snapshots, strict=True):
        if event.pgh_label == "insert":
            kind, changes = "created", []
        elif event.pgh_label == "delete":
            kind, changes = "deleted", []
        else:
            kind, changes = "updated", diff(previous or snapshot, snapshot, names)
            if not changes:
                previous = snapshot
                continue
        rows.append({"when": event.pgh_created_at, "who": names.person(_user_of(event)), "kind": kind,
                     "action": _action_of(event), "changes": changes, "relationship": "", "sort": (0, event.pgh_id)})
        previous = snapshot
    for event in rel_events:
        if event.pgh_label not in ("insert", "delete"):
            continue
        rows.append({"when": event.pgh_created_at, "who": names.person(_user_of(event)),
                     "kind": "related" if event.pgh_label == "insert" else "unrelated", "action": _action_of(event),
                     "changes": [], "relationship": _describe(event, ci, types, others), "sort": (1, event.pgh_id)})
    rows.sort(key=lambda row: (row["when"], row["sort"]))
    return rows


def ci_as_of(ci, when):
    """(snapshot dict or None if the CI did not exist yet, {relationship id: description}) at the instant `when`."""
    event = _ci_events().filter(pgh_obj_id=ci.pk, pgh_created_at__lte=when).order_by("-pgh_created_at",
                                                                                       "-pgh_id").first()
    snapshot = None if event is None or event.pgh_label == "delete" else _snapshot(event)
    latest = {}
    for rel_event in _relationship_events(ci).filter(pgh_created_at__lte=when).order_by("pgh_created_at", "pgh_id"):
        latest[rel_event.pgh_obj_id] = rel_event
    alive = [e for e in latest.values() if e.pgh_label != "delete"]
    types = RelationshipType.objects.in_bulk({e.type_id for e in alive})
    others = dict(ConfigurationItem.objects.filter(
        pk__in={e.source_id for e in alive} | {e.target_id for e in alive}).values_list("pk", "name"))
    return snapshot, {e.pgh_obj_id: _describe(e, ci, types, others) for e in alive}


def compare(ci, earlier, later):
    """What changed on the CI between two instants: field and attribute changes, relationships added and removed."""
    before, before_links = ci_as_of(ci, earlier)
    after, after_links = ci_as_of(ci, later)
    names = _Names(ci, [s for s in (before, after) if s])
    return {
        "existed_before": before is not None,
        "exists_after": after is not None,
        "changes": diff(before or {}, after or {}, names) if after or before else [],
        "added": sorted(after_links[pk] for pk in set(after_links) - set(before_links)),
        "removed": sorted(before_links[pk] for pk in set(before_links) - set(after_links)),
    }
