"""`manage.py seed_practices`: the demo data of every practice app that registered a seeder
(records.registry.register_seeder), in their order. `make run` calls it after the incident, CMDB and SLA demo data;
each seeder is idempotent."""

from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from records import registry


class Command(BaseCommand):
    help = "Seed the demo data of every practice app that registered a seeder."

    def handle(self, *args, **options):
        for _order, dotted in registry.SEEDERS:
            import_string(dotted)()
            if options["verbosity"] > 1:
                self.stdout.write(f"seeded {dotted}")
