"""Trend candidates (004 identification): clusters of at least PROBLEM_TREND_MIN_INCIDENTS incidents within
PROBLEM_TREND_WINDOW_DAYS sharing a CI, a service, a category or a near-identical title, proposed to the problem
managers, who accept (a problem is raised, the incidents linked) or dismiss them.

How a run finds clusters, in SQL, per dimension:
- the rows: (key, incident, created) of incidents created within PROBLEM_TREND_HORIZON_DAYS, without those already
  linked to a problem and those already in a candidate for the same key (proposed, accepted or dismissed: so the same
  incidents are never proposed twice for the same reason, and a dismissed cluster stays dismissed);
- new incidents of a key join its proposed candidate when they fall in its window;
- a window function counts, for each row, the rows of its key in [created, created + window); rows with at least N
  are anchors; the first anchor of a key starts a cluster, the first one after that cluster's window the next (so
  every anchor ends up in a cluster, and a second run over the same rows finds nothing new).
A cluster's fingerprint is (dimension, key, first incident): the same cluster is one row (a unique constraint).

Incremental runs (TrendScan remembers the highest incident id read) only look at the keys of newer incidents, from a
window before the oldest of them. Titles are compared by a normalised key (lower case, digits, punctuation and spaces
removed): "VPN down (site 3)" and "vpn down - site 12" are one trend.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import Conflict
from core.roles import is_lead
from incidents.models import Incident
from records.services import audit

from .choices import CandidateState, ProblemSource, TrendDimension
from .models import ProblemCandidate, TrendScan
from .workflow import is_problem_manager

logger = logging.getLogger(__name__)

TREND_LOCK = 7_401_017  # pg_advisory_xact_lock key: one trend run at a time

_TITLE_KEY = r"lower(regexp_replace(i.title, '[[:digit:][:punct:][:space:]]+', '', 'g'))"
# dimension: (FROM … WHERE giving key, id, created_at; the key expression)
_SOURCES = {
    TrendDimension.CI: ("incidents_incidentconfigurationitem l JOIN incidents_incident i ON i.id = l.incident_id",
                        "l.configuration_item_id::text", "l.link = 'affected_ci'"),
    TrendDimension.SERVICE: ("incidents_incident i", "i.service_id::text", "i.service_id IS NOT NULL"),
    TrendDimension.CATEGORY: ("incidents_incident i", "i.category_id::text", "i.category_id IS NOT NULL"),
    TrendDimension.TITLE: ("incidents_incident i", _TITLE_KEY, f"length({_TITLE_KEY}) >= 4"),
}


@dataclass
class RunResult:
    proposed: int = 0
    grown: int = 0
    scanned_from: int = 0
    scanned_to: int = 0


def _base(dimension, *, since, new_after=None):
    """SQL (and params) of the rows a run weighs for `dimension`: (key, id, created_at)."""
    source, key, condition = _SOURCES[dimension]
    sql = f"""
        SELECT {key} AS key, i.id, i.created_at FROM {source}
        WHERE {condition} AND i.created_at >= %(since)s
          AND NOT EXISTS (SELECT 1 FROM records_recordlink rl WHERE rl.source_kind = 'incident'
                          AND rl.source_id = i.id AND rl.link_type = 'caused_by' AND rl.target_kind = 'problem')
          AND NOT EXISTS (SELECT 1 FROM problems_candidateincident m
                          JOIN problems_problemcandidate c ON c.id = m.candidate_id
                          WHERE m.incident_id = i.id AND c.dimension = %(dimension)s AND c.key = {key})"""  # noqa: S608
    params = {"since": since, "dimension": str(dimension)}
    if new_after is not None:  # incremental: only keys that have newer incidents
        # Names and expressions from _SOURCES above, never from input.
        sql += f" AND {key} IN (SELECT {key} FROM {source} WHERE {condition} AND i.id > %(new_after)s)"  # noqa: S608
        params["new_after"] = new_after
    return sql, params


def _load_rows(cursor, base, params):
    """Read the dimension's rows once into a temporary table (dropped at commit) that the steps below join: the
    base query (a regular expression per row for titles) is not evaluated again per candidate."""
    cursor.execute("DROP TABLE IF EXISTS trend_rows")
    cursor.execute(f"CREATE TEMP TABLE trend_rows ON COMMIT DROP AS {base}", params)  # noqa: S608
    cursor.execute("CREATE INDEX ON trend_rows (key, created_at)")
    cursor.execute("ANALYZE trend_rows")
    return "SELECT key, id, created_at FROM trend_rows", {"dimension": params["dimension"]}


def _grow_proposed(cursor, dimension, base, params):
    """New incidents of a key join its proposed candidate when they fall in its window."""
    cursor.execute(f"""
        INSERT INTO problems_candidateincident (candidate_id, incident_id)
        SELECT c.id, b.id FROM problems_problemcandidate c JOIN ({base}) b
          ON b.key = c.key AND b.created_at >= c.window_start AND b.created_at < c.window_end
        WHERE c.state = 'proposed' AND c.dimension = %(dimension)s
        ON CONFLICT DO NOTHING""", params)  # noqa: S608
    return cursor.rowcount


def _anchors(cursor, dimension, base, params, window, minimum):
    """Rows with at least `minimum` rows of their key in [created, created + window): (key, id, created_at), in key
    and time order. Bounded by the horizon, so a dense key costs at most its rows of the last weeks."""
    cursor.execute(f"""
        SELECT key, id, created_at FROM (
            SELECT key, id, created_at, count(*) OVER (PARTITION BY key ORDER BY created_at
                RANGE BETWEEN CURRENT ROW AND %(window)s FOLLOWING) AS n
            FROM ({base}) b) counted
        WHERE n >= %(minimum)s ORDER BY key, created_at, id""",  # noqa: S608
                   {**params, "window": window - timedelta(microseconds=1), "minimum": minimum})
    return cursor.fetchall()


def _labels(dimension, keys, anchors):
    if dimension == TrendDimension.TITLE:
        titles = dict(Incident.objects.filter(pk__in=[a[1] for a in anchors]).values_list("pk", "title"))
        return {key: titles.get(incident_id, key) for key, incident_id, _at in anchors}
    from cmdb.models import ConfigurationItem
    from servicedesk.models import Category, Service

    model = {TrendDimension.CI: ConfigurationItem, TrendDimension.SERVICE: Service,
             TrendDimension.CATEGORY: Category}[dimension]
    return {str(pk): str(obj) for pk, obj in model.objects.in_bulk([int(k) for k in keys]).items()}


def _propose(cursor, dimension, base, params, window, minimum):
    anchors = _anchors(cursor, dimension, base, params, window, minimum)
    chosen, ends = [], {}
    for key, incident_id, created in anchors:
        if key in ends and created < ends[key]:
            continue  # inside the cluster this key's previous anchor started
        ends[key] = created + window
        chosen.append((key, incident_id, created))
    if not chosen:
        return 0
    labels = _labels(dimension, {c[0] for c in chosen}, chosen)
    rows = [ProblemCandidate(fingerprint=f"{dimension}:{key}:{incident_id}"[:200], dimension=dimension,
                             key=key[:200], label=labels.get(key, key)[:200], window_start=created,
                             window_end=created + window) for key, incident_id, created in chosen]
    ProblemCandidate.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    fingerprints = [row.fingerprint for row in rows]
    cursor.execute(f"""
        INSERT INTO problems_candidateincident (candidate_id, incident_id)
        SELECT c.id, b.id FROM problems_problemcandidate c JOIN ({base}) b
          ON b.key = c.key AND b.created_at >= c.window_start AND b.created_at < c.window_end
        WHERE c.fingerprint = ANY(%(fingerprints)s) AND c.dimension = %(dimension)s
        ON CONFLICT DO NOTHING""", {**params, "fingerprints": fingerprints})  # noqa: S608
    return len(rows)


def propose_candidates(*, full=False, now=None):
    """One trend run (the beat task's): incremental from the last incident read, or `full` over the horizon."""
    now = now or timezone.now()
    window = timedelta(days=getattr(settings, "PROBLEM_TREND_WINDOW_DAYS", 7))
    minimum = getattr(settings, "PROBLEM_TREND_MIN_INCIDENTS", 5)
    # Trends are about now: a cluster from last year is history, not a candidate (and the scan stays small).
    horizon = now - timedelta(days=getattr(settings, "PROBLEM_TREND_HORIZON_DAYS", 30))
    result = RunResult()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TREND_LOCK])
        scan, _created = TrendScan.objects.select_for_update().get_or_create(pk=1)
        newest = Incident.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        result.scanned_from, result.scanned_to = (0 if full else scan.last_incident_id), newest
        if newest <= result.scanned_from and not full:
            return result
        since, new_after = horizon, None
        if not full and scan.last_incident_id:
            oldest_new = (Incident.objects.filter(pk__gt=scan.last_incident_id).order_by("created_at")
                          .values_list("created_at", flat=True).first())
            since, new_after = max(horizon, (oldest_new or now) - window), scan.last_incident_id
        for dimension in TrendDimension:
            base, params = _load_rows(cursor, *_base(dimension, since=since, new_after=new_after))
            result.grown += _grow_proposed(cursor, dimension, base, params)
            result.proposed += _propose(cursor, dimension, base, params, window, minimum)
        scan.last_incident_id, scan.scanned_at = newest, now
        scan.save()
    return result


def may_decide(user):
    return user is not None and (is_lead(user) or is_problem_manager(user))


def _decide(candidate, actor, action):
    if not may_decide(actor):
        raise PermissionDenied(_("Only problem managers and leads may decide on problem candidates."))
    locked = ProblemCandidate.objects.select_for_update().get(pk=candidate.pk)
    if locked.state != CandidateState.PROPOSED:
        message = _("This candidate was already %(state)s.") % {"state": locked.get_state_display().lower()}
        raise Conflict(message, state=locked.state)
    locked.state, locked.decided_by, locked.decided_at = action, actor, timezone.now()
    return locked


def accept_candidate(candidate, *, actor, title=None):
    """Raise a problem from the candidate (source: trend), its incidents linked. Accepting twice at once (two
    leads) makes one problem: the second waits for the row lock and finds the candidate accepted (409)."""
    from .services import raise_problem

    with transaction.atomic(), audit(actor, "accept_candidate"):
        locked = _decide(candidate, actor, CandidateState.ACCEPTED)
        incidents = list(locked.incidents.order_by("created_at", "pk"))
        default_title = _("Recurring incidents: %(label)s") % {"label": locked.label}
        locked.problem = raise_problem(actor=actor, title=(title or default_title)[:200], source=ProblemSource.TREND,
                                       description=_("%(count)d incidents, %(shared)s, between %(start)s and %(end)s.")
                                       % {"count": len(incidents), "shared": locked.get_dimension_display(),
                                          "start": locked.window_start.date(), "end": locked.window_end.date()},
                                       incidents=incidents)
        locked.save()
    return locked


def dismiss_candidate(candidate, *, actor):
    """Not a problem: the candidate (and its incidents, for this key) are not proposed again."""
    with transaction.atomic(), audit(actor, "dismiss_candidate"):
        locked = _decide(candidate, actor, CandidateState.DISMISSED)
        locked.save()
    return locked
