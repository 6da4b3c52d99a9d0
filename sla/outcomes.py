"""Keeping the dashboard's roll-up (sla/models/outcomes.py): folding the trigger's changes into days, and rebuilding.

Days are local dates in the portal's time zone (settings.TIME_ZONE), the zone the dashboard's periods are in. The
changes keep their instant, so they are placed in a day only when folded; if the time zone setting changes, the next
fold finds OutcomeRollup.time_zone different and rebuilds every day from the clocks instead.
"""

import logging

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import OutcomeChange, OutcomeDay, OutcomeRollup, SLAClock
from .models.clocks import OUTCOMES_OF

logger = logging.getLogger(__name__)

_KEY = "metric, sla_kind, priority, service_id, assignment_group_id, organisation_id"
_SUMS = "met, breached, reached, business_seconds"

# Moves every change into its day: each change row is deleted by exactly one transaction (DELETE ... RETURNING locks
# it), so two folds at once never count one twice. Answers the days whose counts fell to zero (dropped next).
FOLD = f"""
WITH moved AS (DELETE FROM {OutcomeChange._meta.db_table} RETURNING *),
folded AS (
    INSERT INTO {OutcomeDay._meta.db_table} AS d (day, {_KEY}, {_SUMS})
    SELECT (outcome_at AT TIME ZONE %(zone)s)::date, {_KEY}, sum(met), sum(breached), sum(reached),
           sum(business_seconds)
    FROM moved
    GROUP BY 1, {_KEY}
    ON CONFLICT (day, {_KEY}) DO UPDATE SET met = d.met + EXCLUDED.met, breached = d.breached + EXCLUDED.breached,
        reached = d.reached + EXCLUDED.reached, business_seconds = d.business_seconds + EXCLUDED.business_seconds
    RETURNING id, met, breached, reached
)
SELECT id FROM folded WHERE met = 0 AND breached = 0 AND reached = 0
"""  # noqa: S608 - table names only; the zone is a parameter

# The clocks' outcomes as the triggers see them (sla.models.clocks.OUTCOMES_OF), every clock counting once.
REBUILD = f"""
INSERT INTO {OutcomeDay._meta.db_table} (day, {_KEY}, {_SUMS})
SELECT (outcome_at AT TIME ZONE %(zone)s)::date, {_KEY}, sum(met), sum(breached), sum(reached), sum(seconds)
FROM ({OUTCOMES_OF.format(rows=SLAClock._meta.db_table, delta=1)}) AS outcomes
WHERE outcome_at IS NOT NULL
GROUP BY 1, {_KEY}
"""  # noqa: S608 - table names only; the zone is a parameter


def rebuild(zone=None):
    """Recount every day from the clocks. Clock writes wait meanwhile (a SHARE lock), so no outcome is lost between
    the recount and the emptied change log; dashboard readers wait too (TRUNCATE): seconds, on a time-zone change."""
    zone = zone or settings.TIME_ZONE
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {SLAClock._meta.db_table} IN SHARE MODE")  # noqa: S608 - a constant
        cursor.execute(f"TRUNCATE {OutcomeDay._meta.db_table}, {OutcomeChange._meta.db_table}")  # noqa: S608
        cursor.execute(REBUILD, {"zone": zone})
        OutcomeRollup.objects.all().delete()
        OutcomeRollup.objects.create(time_zone=zone, rebuilt_at=timezone.now())
    logger.info("SLA outcome roll-up rebuilt in time zone %s", zone)


def fold_changes():
    """Fold the trigger's pending changes into their days (or rebuild, if the days are in another time zone).
    Returns "rebuilt" or "folded"."""
    with transaction.atomic():
        state = OutcomeRollup.objects.select_for_update().first()
        if state is None or state.time_zone != settings.TIME_ZONE:
            rebuild()
            return "rebuilt"
        with connection.cursor() as cursor:
            cursor.execute(FOLD, {"zone": state.time_zone})
            empty = [row[0] for row in cursor.fetchall()]
        OutcomeDay.objects.filter(pk__in=empty).delete()
        return "folded"
