"""The SLA dashboard benchmark: the managers' dashboard for a 90-day period over 1,000,000 incidents.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/itsm python -m bench.sla_dashboard --incidents 1000000

Runs on its own database (BENCH_SLA_DASHBOARD_DATABASE_URL, or DATABASE_URL with the name replaced by
`itsm_sla_bench`), created and migrated if missing; without --fresh it only tops the incidents up. Not part of the
test suite: figures go into docs/benchmarks.md.

Seeding is plain SQL (one `WITH … INSERT … SELECT generate_series … RETURNING` per 100,000 incidents, the incident
rows and their two clocks in one statement, history triggers off for the session): incidents spread evenly over the
last 365 days across the demo's services, groups, organisations and the four priorities; each has a first-response
clock (1 h) and a resolution clock (48 h). Clocks whose incident is older than their window are finished (8 % of
responses and 15 % of resolutions breached, the rest met); younger ones run (5 % breached, 10 % at risk).

The dashboard reads the daily roll-up of outcomes (sla/models/outcomes.py), which the seeding recounts at its end
(its plain SQL runs with triggers off).

Timing: Django's test client signed in as the demo manager (sees everything) fetches the page, the API and the CSV for
the last 90 days, 10 times each after one warm-up; median and max are printed against the 1 s target.
"""

import argparse
import statistics
import time
from datetime import time as clock_time
from datetime import timedelta

from bench import measure
from bench.database import bench_database_url, setup_django
from bench.report import machine_line

AGREEMENT = "Dashboard bench SLA"
TARGET_S = 1.0
BATCH = 100_000

SEED = """
WITH src AS (
    SELECT g, now() - random() * interval '365 days' AS created, 1 + floor(random() * 4)::int AS priority,
           (%(services)s::bigint[])[1 + floor(random() * %(n_services)s)::int] AS service,
           (%(groups)s::bigint[])[1 + floor(random() * %(n_groups)s)::int] AS grp,
           (%(orgs)s::bigint[])[1 + floor(random() * %(n_orgs)s)::int] AS org
    FROM generate_series(1, %(count)s) g
), inc AS (
    INSERT INTO incidents_incident (number, title, description, requester_id, organisation_id, logged_by_id, channel,
        impact, urgency, priority, state, is_major, assignment_group_id, service_id, resolution_code,
        resolution_notes, first_response_at, created_at, updated_at, version)
    SELECT 'BDSH-' || lpad(nextval('incidents_incident_number_seq')::text, 9, '0'), 'Dashboard benchmark ' || g, '',
        %(requester)s, org, %(requester)s, 'portal', 3, 3, priority,
        CASE WHEN created < now() - interval '7 days' THEN 'closed' ELSE 'in_progress' END, false, grp, service,
        '', '', created + interval '30 minutes', created, created, 1
    FROM src
    RETURNING id, created_at, priority, organisation_id, assignment_group_id, service_id
)
INSERT INTO sla_slaclock (incident_id, sla_id, metric, target, state, met, breached, run, started_at,
    business_elapsed, segment_started_at, due_at, next_check_at, handled_percent, breached_at, stopped_at, sla_kind,
    priority, service_id, assignment_group_id, organisation_id, created_at, updated_at)
SELECT inc.id, %(sla)s, m.metric, m.target,
    CASE WHEN o.done THEN 'stopped' ELSE 'running' END,
    o.done AND NOT o.breached, o.breached, 1, inc.created_at, m.target * o.x,
    CASE WHEN NOT o.done THEN inc.created_at END,
    CASE WHEN NOT o.done THEN inc.created_at + m.target END,
    CASE WHEN NOT o.done AND NOT o.breached THEN inc.created_at + m.target END,
    CASE WHEN o.breached THEN 100 WHEN NOT o.done AND o.x < 0.15 THEN 75 ELSE 0 END,
    CASE WHEN o.breached THEN inc.created_at + m.target END,
    CASE WHEN o.done AND o.breached THEN inc.created_at + m.target + interval '3 hours'
         WHEN o.done THEN inc.created_at + m.target * o.x * 0.9 END,
    'sla', inc.priority, inc.service_id, inc.assignment_group_id, inc.organisation_id, now(), now()
FROM inc
CROSS JOIN (VALUES ('response', interval '1 hour', interval '1 day', 0.08),
                   ('resolution', interval '48 hours', interval '7 days', 0.15)) AS m(metric, target, window_, rate)
CROSS JOIN LATERAL (
    SELECT inc.created_at < now() - m.window_ AS done, r.x,
           CASE WHEN inc.created_at < now() - m.window_ THEN r.x < m.rate ELSE r.x < 0.05 END AS breached
    FROM (SELECT random() AS x, m.metric AS tie) r
) o
"""


def database_url(explicit=None):
    return bench_database_url(explicit, override_variable="BENCH_SLA_DASHBOARD_DATABASE_URL",
                              default_name="itsm_sla_bench")


def reference_data():
    """The demo's people, groups, services and organisations; an office calendar; the benchmark's agreement."""
    from servicedesk.management.commands.seed_demo import seed_reference_data
    from sla import definitions, services
    from sla.models import BusinessCalendar, SLADefinition

    cast = seed_reference_data()
    agreement = SLADefinition.objects.filter(name=AGREEMENT).first()
    if agreement is None:
        calendar = BusinessCalendar.objects.filter(name="Dashboard bench office").first() or services.create_calendar(
            actor=None, name="Dashboard bench office", time_zone="Asia/Shanghai",
            periods=[{"weekday": day, "start_time": clock_time(9), "end_time": clock_time(18)} for day in range(5)])
        agreement = definitions.create_agreement(
            actor=None, name=AGREEMENT, calendar=calendar,
            targets=[{"priority": p, "metric": metric, "duration": timedelta(hours=h)}
                     for p in (1, 2, 3, 4) for metric, h in (("response", 1), ("resolution", 48))])
    return cast, agreement


def seed(cast, agreement, wanted, fresh, say):
    from django.db import connection, transaction

    from core.models import AssignmentGroup, Organisation
    from incidents.models import Incident
    from servicedesk.models import Service

    with connection.cursor() as cursor:
        if fresh:
            say("emptying the incident and clock tables ...")
            cursor.execute("TRUNCATE incidents_incident, sla_slaclock RESTART IDENTITY CASCADE")
    have = Incident.objects.count()
    params = {
        "requester": cast.users["manager"].pk, "sla": agreement.pk,
        "services": list(Service.objects.values_list("pk", flat=True)),
        "groups": list(AssignmentGroup.objects.values_list("pk", flat=True)),
        "orgs": list(Organisation.objects.values_list("pk", flat=True)),
    }
    params.update(n_services=len(params["services"]), n_groups=len(params["groups"]), n_orgs=len(params["orgs"]))
    started, seeded = time.monotonic(), False
    while have < wanted:
        seeded = True
        count = min(BATCH, wanted - have)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(SEED, {**params, "count": count})
        have += count
        say(f"  {have:,} incidents ({time.monotonic() - started:.0f} s)")
    if seeded or fresh:
        # The seeding bypasses triggers (replica role), so the dashboard's roll-up is recounted from the clocks.
        from sla.outcomes import rebuild

        say("recounting the dashboard's daily roll-up ...")
        rebuild()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE sla_outcomeday")
        if not (seeded or fresh):
            return time.monotonic() - started
        cursor.execute("VACUUM ANALYZE sla_slaclock")
        cursor.execute("VACUUM ANALYZE incidents_incident")
        cursor.execute("CHECKPOINT")
    return time.monotonic() - started


def timed(client, url, repeat):
    """Median and max seconds of `repeat` GETs, after one warm-up (caches, the first connection)."""
    def get():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    milliseconds = measure.time_calls(get, repeat, warmup=1)
    return statistics.median(milliseconds) / 1000, max(milliseconds) / 1000


def explain(say):
    """The plans of the dashboard's queries for the same 90 days (EXPLAIN ANALYZE), for the record."""
    from django.db import connection

    from core.models import User
    from sla.dashboard.queries import Period, dashboard_figures, visible_condition

    condition = visible_condition(User.objects.get(username="manager"))
    with connection.execute_wrapper(_explaining(say)):
        dashboard_figures(condition, Period.last_days(90))


def _explaining(say):
    def wrapper(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("SELECT") and "sla_" in sql:
            with context["connection"].connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF, TIMING OFF) " + sql, params)
                plan = [row[0] for row in cursor.fetchall()]
            say(f"  {sql[:90]}…")
            for line in plan:
                if any(word in line for word in ("Scan", "Execution Time", "Aggregate", "Gather")):
                    say(f"      {line.strip()}")
        return execute(sql, params, many, context)

    return wrapper


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.sla_dashboard", description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=1_000_000, help="incidents (default 1000000)")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--fresh", action="store_true", help="empty the incident and clock tables first")
    parser.add_argument("--explain", action="store_true", help="print the query plans too")
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    setup_django(database_url(args.database_url))
    from django.conf import settings
    from django.test import Client

    from incidents.models import Incident
    from sla.dashboard.queries import METRICS, Period, outcome_counts, visible_condition
    from sla.models import OutcomeDay, SLAClock

    say = lambda line: print(line, flush=True)  # noqa: E731
    cast, agreement = reference_data()
    say(f"seeding up to {args.incidents:,} incidents with their clocks ...")
    seconds = seed(cast, agreement, args.incidents, args.fresh, say)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    manager = cast.users["manager"]
    by_priority = outcome_counts(visible_condition(manager), Period.last_days(90))["priority"].values()
    counted = sum(row[f"{metric}_{outcome}"] for metric in METRICS for outcome in ("met", "breached")
                  for row in by_priority)
    say("\n" + machine_line(measure.machine()))
    say(f"Incidents: {Incident.objects.count():,}; clocks: {SLAClock.objects.count():,} (seeding took "
        f"{seconds:.0f} s); clocks counted in the last 90 days: {counted:,}; roll-up rows: "
        f"{OutcomeDay.objects.count():,}")
    client = Client()
    client.force_login(manager)
    say("\n| request (last 90 days, manager) | median | max | target | |\n| --- | --- | --- | --- | --- |")
    for name, path in (("page", "/sla/dashboard/?period=90"), ("API", "/api/v1/sla/dashboard/?period=90"),
                       ("CSV", "/sla/dashboard/export.csv?period=90")):
        median, worst = timed(client, path, args.repeat)
        say(f"| {name} `{path}` | {median * 1000:.0f} ms | {worst * 1000:.0f} ms | ≤ {TARGET_S:.0f} s | "
            f"{'met' if worst <= TARGET_S else 'MISSED'} |")
    if args.explain:
        explain(say)


if __name__ == "__main__":
    main()
