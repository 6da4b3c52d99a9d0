"""Builders for CMDB tests, the demo and the benchmark: classes, relationship types, CIs and hand-drawn graphs.

They write rows directly (fixtures); behaviour under test goes through cmdb.services and cmdb.importer.
"""

from .choices import AttributeType
from .models import AttributeDefinition, CIClass, ConfigurationItem, Relationship, RelationshipType


def make_class(code, name=None, *, parent=None, is_service=False, colour="#6c757d", attributes=()):
    """A class with attribute definitions given as dicts: {"key": "os", "type": "choice", "choices": [...], ...}."""
    ci_class, _created = CIClass.objects.get_or_create(code=code, defaults={
        "name": name or code.replace("_", " ").title(), "parent": parent, "is_service": is_service, "colour": colour})
    for position, spec in enumerate(attributes):
        spec = dict(spec)
        key = spec.pop("key")
        spec.setdefault("label", key.replace("_", " ").capitalize())
        spec.setdefault("type", AttributeType.STRING)
        spec.setdefault("position", position)
        AttributeDefinition.objects.update_or_create(ci_class=ci_class, key=key, defaults=spec)
    return ci_class


def make_type(code, *, forward=None, reverse=None, propagates=True, allows_cycles=True, sources=(), targets=(),
              name=None):
    rel_type, _created = RelationshipType.objects.get_or_create(code=code, defaults={
        "name": name or code.replace("_", " ").capitalize(), "forward_label": forward or code.replace("_", " "),
        "reverse_label": reverse or f"{code.replace('_', ' ')} (reverse)", "propagates_impact": propagates,
        "allows_cycles": allows_cycles})
    rel_type.allowed_source_classes.set(sources)
    rel_type.allowed_target_classes.set(targets)
    return rel_type


def make_ci(ci_class, name, **fields):
    return ConfigurationItem.objects.create(ci_class=ci_class, name=name, **fields)


def link(source, target, rel_type):
    return Relationship.objects.create(source=source, target=target, type=rel_type)


def build_graph(ci_class, rel_type, edges):
    """CIs named by the letters in `edges` ("A>B" means A depends on B: A —type→ B); returns {name: CI}."""
    names = sorted({name for edge in edges for name in edge.split(">")})
    items = {name: make_ci(ci_class, name) for name in names}
    for edge in edges:
        source, target = edge.split(">")
        link(items[source], items[target], rel_type)
    return items
