"""The trend-detection benchmark: N incidents over two years (services, categories, CIs, titles drawn from pools
with planted trends), then one full trend run and incremental runs timed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/itsm python -m bench.problem_trends --n 1000000

It runs on its own database (BENCH_PROBLEMS_DATABASE_URL, or DATABASE_URL's server with `itsm_bench_problems`),
created and migrated if missing; the incidents are written in SQL (generate_series), history triggers off. Without
--fresh an existing set of N incidents is reused. Figures go into docs/benchmarks.md.
"""

import argparse
import time

from bench.database import bench_database_url, setup_django

SPAN_DAYS = 730
SERVICES, CATEGORIES, CIS, TITLE_TEMPLATES = 300, 120, 5000, 4000


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.problem_trends", description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="incidents in the database (default 100000)")
    parser.add_argument("--fresh", action="store_true", help="drop the incidents and candidates and seed again")
    parser.add_argument("--incremental", type=int, default=200, help="new incidents before the incremental run")
    parser.add_argument("--database-url", help="the benchmark database (default: see above)")
    return parser.parse_args(argv)


def _reference_data(cursor):
    """Services, categories, a CI class and CIs, a requester: made once."""
    cursor.execute("SELECT count(*) FROM servicedesk_service WHERE name LIKE 'Bench service %%'")
    if cursor.fetchone()[0] >= SERVICES:
        return
    cursor.execute(f"""
        INSERT INTO servicedesk_service (created_at, updated_at, name, description, is_active)
        SELECT now(), now(), 'Bench service ' || g, '', true FROM generate_series(1, {SERVICES}) g
        ON CONFLICT DO NOTHING;
        INSERT INTO servicedesk_category (created_at, updated_at, name, is_active)
        SELECT now(), now(), 'Bench category ' || g, true FROM generate_series(1, {CATEGORIES}) g;
        INSERT INTO cmdb_ciclass (created_at, updated_at, name, code, description, is_service, colour)
        VALUES (now(), now(), 'Bench server', 'bench-server', '', false, '#777777');
        INSERT INTO cmdb_configurationitem (created_at, updated_at, version, name, state, location, description,
                                            attributes, external_source, external_key, ci_class_id)
        SELECT now(), now(), 1, 'bench-ci-' || g, 'operational', '', '', '{{}}', '', '',
               (SELECT max(id) FROM cmdb_ciclass WHERE code = 'bench-server')
        FROM generate_series(1, {CIS}) g;""")  # noqa: S608 - constants only


def _seed(cursor, count, *, start_at=0, recent=False):
    """`count` incidents (ids after `start_at`), over SPAN_DAYS (or the last hour when `recent`): 60 % from title
    templates with a number ("... #123"), the rest unique; 80 % on a service, 70 % in a category, 20 % on a CI."""
    spread = "now() - random() * interval '1 hour'" if recent else f"now() - random() * interval '{SPAN_DAYS} days'"
    cursor.execute("SET LOCAL statement_timeout = 0")  # a million rows in one statement outlast the 60 s default
    cursor.execute("SET session_replication_role = replica")  # no history triggers, no FK checks: bench data only
    cursor.execute("SELECT min(id), max(id) FROM servicedesk_service WHERE name LIKE 'Bench service %%'")
    s_min, s_max = cursor.fetchone()
    cursor.execute("SELECT min(id), max(id) FROM servicedesk_category WHERE name LIKE 'Bench category %%'")
    c_min, c_max = cursor.fetchone()
    cursor.execute("SELECT min(id), max(id) FROM cmdb_configurationitem WHERE name LIKE 'bench-ci-%%'")
    ci_min, ci_max = cursor.fetchone()
    cursor.execute("SELECT id FROM core_user ORDER BY id LIMIT 1")
    user = cursor.fetchone()[0]
    cursor.execute(f"""
        INSERT INTO incidents_incident (created_at, updated_at, version, number, title, description, channel, impact,
            urgency, priority, state, is_major, resolution_code, resolution_notes, logged_by_id, requester_id,
            service_id, category_id)
        SELECT t, t, 1, 'BNC-' || lpad((g + {start_at})::text, 8, '0'),
               CASE WHEN random() < 0.6 THEN 'Trouble template ' || md5((floor(random() * {TITLE_TEMPLATES}))::text)
                         || ' #' || floor(random() * 1000)
                    ELSE md5(random()::text) END,
               '', 'portal', 4, 3, 4, 'new', false, '', '', %(user)s, %(user)s,
               CASE WHEN random() < 0.8 THEN {s_min} + floor(random() * ({s_max} - {s_min} + 1)) END,
               CASE WHEN random() < 0.7 THEN {c_min} + floor(random() * ({c_max} - {c_min} + 1)) END
        FROM (SELECT g, {spread} AS t FROM generate_series(1, %(count)s) g) rows ORDER BY t""",  # noqa: S608
                   {"user": user, "count": count})
    cursor.execute(f"""
        INSERT INTO incidents_incidentconfigurationitem (incident_id, configuration_item_id, link, added_by_id,
                                                         created_at)
        SELECT id, {ci_min} + floor(random() * ({ci_max} - {ci_min} + 1)), 'affected_ci', %(user)s, created_at
        FROM incidents_incident WHERE id > %(after)s AND random() < 0.2""",  # noqa: S608
                   {"user": user, "after": start_at})
    cursor.execute("SET session_replication_role = DEFAULT")
    cursor.execute("ANALYZE incidents_incident; ANALYZE incidents_incidentconfigurationitem")


def _ensure_user(cursor):
    from core.models import User

    if not User.objects.exists():
        User.objects.create_user("bench", "bench@example.com", "bench-pass-123")


def main(argv=None):
    args = parse_args(argv)
    setup_django(bench_database_url(args.database_url, override_variable="BENCH_PROBLEMS_DATABASE_URL",
                                    default_name="itsm_bench_problems"))
    from django.db import connection, transaction

    from problems.models import ProblemCandidate, TrendScan
    from problems.trends import propose_candidates

    with connection.cursor() as cursor:
        _ensure_user(cursor)
        _reference_data(cursor)
        cursor.execute("SELECT count(*), coalesce(max(id), 0) FROM incidents_incident")
        have, _last = cursor.fetchone()
        if args.fresh or have != args.n:
            began = time.perf_counter()
            cursor.execute("TRUNCATE incidents_incident, problems_problemcandidate, problems_candidateincident, "
                           "problems_trendscan RESTART IDENTITY CASCADE")
            with transaction.atomic():
                _seed(cursor, args.n)
            print(f"seeded {args.n:,} incidents in {time.perf_counter() - began:.1f} s")
    ProblemCandidate.objects.all().delete()
    TrendScan.objects.all().delete()

    rows = []

    def timed(label, **kwargs):
        began = time.perf_counter()
        result = propose_candidates(**kwargs)
        rows.append((label, time.perf_counter() - began, result.proposed, result.grown))
        print(f"{label}: {rows[-1][1]:.2f} s", flush=True)

    timed("full run (first)", full=True)
    timed("incremental, nothing new")
    with connection.cursor() as cursor, transaction.atomic():
        cursor.execute("SELECT max(id) FROM incidents_incident")
        _seed(cursor, args.incremental, start_at=cursor.fetchone()[0] or 0, recent=True)
    timed(f"incremental, {args.incremental} new")
    timed("full run (again: nothing new proposed)", full=True)

    print(f"\nTrend detection at {args.n:,} incidents (window 7 days, ≥ 5 incidents, horizon 30 days)\n")
    print(f"| {'run':<40} | {'seconds':>8} | {'proposed':>8} | {'grown':>6} |")
    print(f"|{'-' * 42}|{'-' * 10}|{'-' * 10}|{'-' * 8}|")
    for label, seconds, proposed, grown in rows:
        print(f"| {label:<40} | {seconds:8.2f} | {proposed:8d} | {grown:6d} |")


if __name__ == "__main__":
    main()
