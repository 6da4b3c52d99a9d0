"""The incident benchmark: seed N incidents in bulk, then time the queue, detail and create paths.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/itsm python -m bench.incidents --n 100000 --requests 200 --fresh

It runs on its own database (BENCH_DATABASE_URL, or DATABASE_URL with the name replaced by `itsm_bench`), created
and migrated if missing, so it never touches the portal's data. Without --fresh it only tops the incidents up to N.
Not part of the test suite: figures go into docs/benchmarks.md. `--check` only reports whether the pages answer.
"""

import argparse
import json
import os
import random
from urllib.parse import quote, urlsplit

from bench.database import bench_database_url, setup_django

WORD_ZH, WORD_EN = "打印", "VPN"


def build_scenarios(numbers, few_comments, many_comments, service_id):
    from .measure import Scenario

    queue, api = "/desk/incidents/", "/api/v1/incidents/"

    def sized(path):
        joiner = "&" if "?" in path else "?"
        return [("25 rows", f"{path}{joiner}page_size=25"), ("100 rows", f"{path}{joiner}page_size=100")]

    def by_number(prefix):
        return lambda index: f"{prefix}{numbers[index % len(numbers)]}/"

    zh, en = quote(WORD_ZH), quote(WORD_EN)
    return [
        Scenario("Queue page, default filters", "GET", queue, "session", query_paths=sized(queue)),
        Scenario(f"Queue page ?q={WORD_ZH}", "GET", f"{queue}?q={zh}", "session", query_paths=sized(f"{queue}?q={zh}")),
        Scenario(f"Queue page ?q={WORD_EN}", "GET", f"{queue}?q={en}", "session", query_paths=sized(f"{queue}?q={en}")),
        Scenario("Queue page ?mine=true", "GET", f"{queue}?mine=true", "session",
                 query_paths=sized(f"{queue}?mine=true")),
        Scenario("Queue API", "GET", api, "token", query_paths=sized(api)),
        Scenario(f"Queue API ?q={WORD_ZH}", "GET", f"{api}?q={zh}", "token", query_paths=sized(f"{api}?q={zh}")),
        Scenario("Detail page", "GET", by_number(queue), "session",
                 query_paths=[("fewest comments", f"{queue}{few_comments}/"),
                              ("most comments", f"{queue}{many_comments}/")]),
        Scenario("Detail API", "GET", by_number(api), "token",
                 query_paths=[("fewest comments", f"{api}{few_comments}/"),
                              ("most comments", f"{api}{many_comments}/")]),
        Scenario("Create via API (POST)", "POST", api, "token", expect=201, body=lambda index: {
            "title": f"Benchmark: printer on floor {index % 9 + 1} offline / 打印机脱机",
            "description": "Created by bench.incidents.", "service": service_id, "impact": 3, "urgency": 2}),
    ]


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.incidents", description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="incidents in the database (default 100000)")
    parser.add_argument("--requests", type=int, default=200,
                        help="timed requests per measure (default 200), sent in rounds of one per measure")
    parser.add_argument("--warmup", type=int, default=10, help="untimed rounds first (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--fresh", action="store_true", help="empty the incident tables first (times a full seed)")
    parser.add_argument("--no-history", action="store_true",
                        help="skip the pghistory insert triggers while seeding (pgtrigger.ignore)")
    parser.add_argument("--seed-only", action="store_true", help="seed and stop")
    parser.add_argument("--check", action="store_true", help="only report whether the pages answer")
    parser.add_argument("--database-url", help="the database to use (default: see above)")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--wait-quiet", type=int, default=0, metavar="SECONDS",
                        help="before measuring, wait up to this long for a quiet machine (see --quiet-load)")
    parser.add_argument("--quiet-load", type=float, default=1.0,
                        help="the one-minute load average counted as quiet (default 1.0)")
    parser.add_argument("--pg-options", help='PostgreSQL settings for every connection of the run, e.g. '
                        '"-c join_collapse_limit=1" (libpq PGOPTIONS); to try a setting before proposing it')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    url = bench_database_url(args.database_url, override_variable="BENCH_DATABASE_URL", default_name="itsm_bench")
    if args.pg_options:
        os.environ["PGOPTIONS"] = args.pg_options  # read by libpq: this process and the server's workers
    os.environ.setdefault("CELERY_QUEUE", f"bench-{os.getpid()}")  # creation mail waits here, purged at the end
    # The create measure times the create path, not the per-person creation limit (core.ratelimit) it would hit.
    os.environ.setdefault("CREATE_RATE_LIMIT", "1000000/minute")
    print(f"database: {urlsplit(url)._replace(netloc=urlsplit(url).hostname or '').geturl()}", flush=True)
    setup_django(url)
    from django.db.models import Count
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from incidents.models import Incident, IncidentComment
    from servicedesk.demo import DEMO_PASSWORD
    from servicedesk.management.commands.seed_demo import IncidentPlanner, seed_reference_data

    from . import measure, report
    from .seed import seed_incidents, truncate_incidents

    cast = seed_reference_data()
    agent = cast.users["agent"]
    token = Token.objects.get_or_create(user=agent)[0].key
    figures = {"machine": measure.machine(), "n": args.n, "args": vars(args)}

    if args.check:
        paths = [("queue page", "/desk/incidents/", False), ("queue API", "/api/v1/incidents/", True)]
        number = Incident.objects.values_list("number", flat=True).first()
        if number:
            paths += [("detail page", f"/desk/incidents/{number}/", False),
                      ("detail API", f"/api/v1/incidents/{number}/", True)]
        for label, status in measure.pages_answer(paths, user=agent, token=token).items():
            print(f"{label}: HTTP {status}")
        return

    if args.fresh:
        truncate_incidents()
    missing = args.n - Incident.objects.count()
    if missing > 0:
        print(f"seeding {missing} incidents ...", flush=True)
        planner = IncidentPlanner(cast, rng=random.Random(2025), now=timezone.now())
        figures["seed"] = seed_incidents(planner, missing, history=not args.no_history,
                                         progress=lambda line: print(line, flush=True))
        print(f"seeded in {figures['seed']['seconds']:.1f} s", flush=True)
    figures["rows"] = {"incidents": Incident.objects.count(), "comments": IncidentComment.objects.count()}
    if args.seed_only:
        report.print_report(figures, [])
        return

    numbers = list(Incident.objects.order_by("?").values_list("number", flat=True)[:max(args.requests, 50)])
    # Fewest and most conversation entries, among incidents alike otherwise (a sub-category, an assignee).
    alike = Incident.objects.filter(category__parent__isnull=False, assignee__isnull=False)
    by_comments = alike.annotate(c=Count("comments")).values_list("number", flat=True)
    few, many = by_comments.order_by("c", "id").first(), by_comments.order_by("-c", "id").first()
    scenarios = build_scenarios(numbers, few, many, cast.services["printing"].pk)
    for scenario in scenarios:
        counts = {}
        for label, path in scenario.query_paths:
            queries, rows, _sql = measure.count_queries(
                path, user=agent, token=token if scenario.client == "token" else None)
            counts[label] = {"queries": queries, "rows": rows}
        scenario.results["queries"] = counts

    if args.wait_quiet:
        measure.wait_until_quiet(limit=args.quiet_load, timeout=args.wait_quiet,
                                 progress=lambda line: print(line, flush=True))
    figures["machine"]["load_average"] = os.getloadavg()
    with measure.Server(workers=args.workers) as server:
        session = measure.HttpClient(server.port)
        session.login(agent.username, DEMO_PASSWORD)
        clients = {"session": session, "token": measure.HttpClient(server.port, token=token)}
        try:
            measure.run_timings(scenarios, clients, requests=args.requests, warmup=args.warmup,
                                progress=lambda line: print(line, flush=True))
        except RuntimeError as error:
            raise RuntimeError(f"{error}\nserver log:\n{server.log_tail()}") from error
    figures["machine"]["load_average_after"] = os.getloadavg()
    _purge_queue(os.environ["CELERY_QUEUE"])
    figures["scenarios"] = [{"name": s.name, **s.results} for s in scenarios]
    report.print_report(figures, scenarios)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(figures, handle, indent=2, default=str, ensure_ascii=False)


def _purge_queue(queue):
    """Drop the acknowledgement mails the created incidents queued (no worker runs during the benchmark)."""
    from itsm.celery import app

    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(queue)


if __name__ == "__main__":
    main()
