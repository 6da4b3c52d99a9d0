"""Recount the SLA dashboard's daily roll-up from the clocks.

Needed only after clocks were written with triggers off (a bulk load with `session_replication_role = replica`, a
restore of the clock table alone); otherwise the triggers keep the roll-up exact and beat folds it every minute.
"""

from django.core.management.base import BaseCommand

from sla.models import OutcomeDay
from sla.outcomes import rebuild


class Command(BaseCommand):
    help = "Recount the SLA dashboard's daily roll-up from the clocks (after loading clocks with triggers off)."

    def handle(self, *args, **options):
        rebuild()
        self.stdout.write(f"SLA roll-up rebuilt: {OutcomeDay.objects.count():,} day rows.")
