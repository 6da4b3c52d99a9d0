"""`manage.py seed_cmdb_demo`: the demo CI classes, relationship types and estate (cmdb/demo.py).

Idempotent: classes, attribute definitions and relationship types are matched by code and updated in place; the
estate goes through the importer under the source "demo", so a second run reports every row unchanged. People,
groups and organisations come from `seed_demo` when it has run; the organisations are created if missing, and an
owner or support group that does not exist is left out rather than refusing the CI.
"""

import copy

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cmdb import demo
from cmdb.choices import ImportFormat, ImportOutcome
from cmdb.importer import import_rows
from cmdb.models import AttributeDefinition, CIClass, RelationshipType
from core.models import AssignmentGroup, Organisation, User
from core.roles import Role
from servicedesk.demo import ORGANISATIONS

SOURCE = "demo"


class Command(BaseCommand):
    help = "Load the demo CMDB: CI classes with attributes, relationship types and a small estate (idempotent)."

    def handle(self, *args, **options):
        with transaction.atomic():
            self.seed_classes()
            self.seed_types()
            for code, name in ORGANISATIONS:
                Organisation.objects.get_or_create(code=code, defaults={"name": name})
        actor = (User.objects.filter(groups__name=Role.ADMIN).order_by("pk").first()
                 or User.objects.filter(is_superuser=True).order_by("pk").first())
        summary, rows = import_rows(actor=actor, source=SOURCE, fmt=ImportFormat.JSON,
                                    ci_rows=list(enumerate(self.estate(), start=1)),
                                    relationship_rows=list(enumerate(demo.RELATIONSHIPS, start=1)))
        refused = [r for r in rows if r["outcome"] == ImportOutcome.REFUSED]
        for row in refused:
            self.stderr.write(f"{row['section']} row {row['row']} ({row['key']}): {row['errors']}")
        if refused:
            raise CommandError(f"{len(refused)} demo rows were refused")
        self.stdout.write(self.style.SUCCESS(
            "CMDB demo: CIs {cis}; relationships {rels}.".format(
                cis=", ".join(f"{k} {v}" for k, v in summary["cis"].items()),
                rels=", ".join(f"{k} {v}" for k, v in summary["relationships"].items()))))

    def seed_classes(self):
        by_code = {}
        for code, name, parent, is_service, colour, description, attributes in demo.CLASSES:
            ci_class, _created = CIClass.objects.update_or_create(code=code, defaults={
                "name": name, "parent": by_code.get(parent), "is_service": is_service, "colour": colour,
                "description": description})
            by_code[code] = ci_class
            for position, spec in enumerate(attributes):
                spec = dict(spec)
                AttributeDefinition.objects.update_or_create(ci_class=ci_class, key=spec.pop("key"),
                                                             defaults={**spec, "position": position})

    def seed_types(self):
        classes = {c.code: c for c in CIClass.objects.all()}
        for code, name, forward, reverse, propagates, cycles, sources, targets in demo.RELATIONSHIP_TYPES:
            rel_type, _created = RelationshipType.objects.update_or_create(code=code, defaults={
                "name": name, "forward_label": forward, "reverse_label": reverse, "propagates_impact": propagates,
                "allows_cycles": cycles})
            rel_type.allowed_source_classes.set([classes[c] for c in sources])
            rel_type.allowed_target_classes.set([classes[c] for c in targets])

    def estate(self):
        users = set(User.objects.values_list("username", flat=True))
        groups = set(AssignmentGroup.objects.values_list("name", flat=True))
        rows = []
        for row in copy.deepcopy(demo.ESTATE):
            if row.get("owner") not in users:
                row.pop("owner", None)
            if row.get("support_group") not in groups:
                row.pop("support_group", None)
            rows.append(row)
        return rows
