"""The SLA benchmark: a scan tick over 1,000,000 open clocks, and a burst of 10,000 breaches escalated by two workers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/itsm python -m bench.sla --clocks 1000000 --breaching 10000

Runs on its own database (BENCH_SLA_DATABASE_URL, or DATABASE_URL with the name replaced by `itsm_bench_sla`),
created and migrated if missing; a later run only tops the clocks up. Not part of the test suite: figures go into
docs/benchmarks.md.

1. Idle tick: with nothing due, `sla.escalation.scan_due_clocks()` and the whole beat task (`sla.tasks.scan_clocks`,
   which also sweeps the notification outbox and stale agreements) are timed in this process, 30 times each.
2. Burst: two real `celery worker` processes (solo pool, one task at a time each) and one `celery beat` ticking every
   second run against Redis; a real SMTP server (aiosmtpd, in its own process) listens on loopback. 10,000 running
   clocks are made to reach 100 % at the same instant; the clock stops when every breach is recorded with its record
   action done (reassignment to a second-line group) and when every notification is out (in the portal, and by mail:
   a burst to one person is one digest mail per batch, core.notify.notify_each). Exactly once is then checked, down
   to the notices listed in the mails.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path

from bench import measure
from bench.database import bench_database_url, setup_django
from bench.report import machine_line

ROOT = Path(__file__).resolve().parent.parent
AGREEMENT = "Bench SLA"
TARGET_IDLE_TICK_S = 1.0
TARGET_BURST_S = 30.0


def database_url(explicit=None):
    return bench_database_url(explicit, override_variable="BENCH_SLA_DATABASE_URL", default_name="itsm_bench_sla")


def reference_data():
    """The demo's people and groups, an office calendar with China's holidays, and the benchmark's agreement."""
    from django.utils import timezone

    from core.models import AssignmentGroup
    from servicedesk.management.commands.seed_demo import seed_reference_data
    from sla import definitions, services
    from sla.models import BusinessCalendar, SLADefinition

    cast = seed_reference_data()
    calendar = BusinessCalendar.objects.filter(name="Bench office").first()
    if calendar is None:
        calendar = services.create_calendar(actor=None, name="Bench office", time_zone="Asia/Shanghai", periods=[
            {"weekday": day, "start_time": clock_time(9), "end_time": clock_time(18)} for day in range(5)])
        year = timezone.localdate().year
        for each in (year - 1, year, year + 1):
            services.fill_calendar(calendar, actor=None, year=each)
    second_line = AssignmentGroup.objects.get_or_create(name="Bench second line", defaults={
        "lead": cast.users["manager"]})[0]
    agreement = SLADefinition.objects.filter(name=AGREEMENT).first()
    if agreement is None:
        hours = [(1, 4), (2, 8), (3, 48), (4, 48)]
        agreement = definitions.create_agreement(
            actor=None, name=AGREEMENT, calendar=calendar,
            targets=[{"priority": p, "metric": "resolution", "duration": timedelta(hours=h)} for p, h in hours]
            + [{"priority": p, "metric": "response", "duration": timedelta(hours=1)} for p, _h in hours],
            steps=[{"at_percent": 75, "action": "notify_assignee"}, {"at_percent": 90, "action": "notify_group_lead"},
                   {"at_percent": 100, "action": "notify_group_lead"},
                   {"at_percent": 100, "action": "reassign", "target_group": second_line}],
        )
    return cast, agreement


SEED_INCIDENTS = """
INSERT INTO incidents_incident (number, title, description, requester_id, organisation_id, logged_by_id, channel,
    impact, urgency, priority, state, is_major, assignment_group_id, assignee_id, resolution_code, resolution_notes,
    first_response_at, created_at, updated_at, version)
SELECT 'BSLA-' || lpad(nextval('incidents_incident_number_seq')::text, 8, '0'), 'SLA benchmark ' || g, '',
    %(requester)s, %(organisation)s, %(requester)s, 'portal', 3, 3, 3, 'in_progress', false, %(group)s, %(agent)s,
    '', '', now() - interval '23 hours', now() - interval '1 day', now() - interval '1 day', 1
FROM generate_series(1, %(count)s) g
RETURNING id
"""
SEED_CLOCKS = """
INSERT INTO sla_slaclock (incident_id, sla_id, metric, target, state, met, breached, run, started_at,
    business_elapsed, segment_started_at, paused_at, due_at, next_check_at, next_threshold, handled_percent,
    sla_kind, priority, assignment_group_id, organisation_id, created_at, updated_at)
SELECT i.id, %(sla)s, m.metric, interval '48 hours',
    CASE WHEN r.paused THEN 'paused' ELSE 'running' END, false, false, 1, now() - interval '1 day',
    interval '2 hours', CASE WHEN r.paused THEN NULL ELSE now() - interval '1 day' END,
    CASE WHEN r.paused THEN now() - interval '1 hour' END,
    CASE WHEN r.paused THEN NULL ELSE now() + r.ahead + interval '12 hours' END,
    CASE WHEN r.paused THEN NULL ELSE now() + r.ahead END, CASE WHEN r.paused THEN NULL ELSE 75 END, 0,
    'sla', 3, %(group)s, %(organisation)s, now(), now()
FROM unnest(%(ids)s::bigint[]) AS i(id)
CROSS JOIN (VALUES ('resolution')) AS m(metric)
CROSS JOIN LATERAL (SELECT random() < 0.15 AS paused,
                           make_interval(secs => 3600 + random() * 20 * 86400) AS ahead) r
"""


def seed_clocks(cast, agreement, wanted, progress):
    """Top the open clocks of the agreement up to `wanted`: incidents in progress (their first response given, so one
    clock each: resolution, 48 h at P3), 85 % running with their next check spread over the next 20 days, 15 %
    paused. Plain SQL with the history triggers off for the session (session_replication_role = replica), 100,000
    incidents a transaction."""
    from django.db import connection, transaction

    from sla.models import SLAClock

    have = SLAClock.objects.filter(sla=agreement, state__in=["running", "paused"]).count()
    missing = max(0, wanted - have)
    started = time.monotonic()
    params = {"requester": cast.users["enduser"].pk, "organisation": cast.users["enduser"].organisation_id,
              "group": cast.groups["desk"].pk, "agent": cast.users["agent"].pk, "sla": agreement.pk}
    while missing > 0:
        count = min(100_000, missing)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(SEED_INCIDENTS, {**params, "count": count})
            ids = [row[0] for row in cursor.fetchall()]
            cursor.execute(SEED_CLOCKS, {**params, "ids": ids})
        missing -= count
        progress(f"  {wanted - max(missing, 0):,} open clocks ({time.monotonic() - started:.0f} s)")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sla_slaclock")
        cursor.execute("ANALYZE incidents_incident")
    return time.monotonic() - started


def time_idle_tick(repeat=30):
    """Milliseconds per tick with nothing due: the scan service alone, and the whole beat task."""
    from django.db import connection
    from django.utils import timezone

    from sla import escalation, tasks
    from sla.models import SLAClock

    # Clocks seeded by an earlier run may have fallen due since: move them ahead, so that the tick finds nothing.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE sla_slaclock SET next_check_at = now() + make_interval(secs => 3600 + random() * 86400)"
                       " WHERE next_check_at <= now() + interval '1 hour'")
    assert not SLAClock.objects.filter(next_check_at__lte=timezone.now()).exists(), "something is due"
    figures = {}
    for name, run in (("scan service", escalation.scan_due_clocks), ("beat task", tasks.scan_clocks.run)):
        milliseconds = measure.time_calls(run, repeat, warmup=1)  # warm: calendars cached, connection open
        figures[name] = {"median_ms": statistics.median(milliseconds), "max_ms": max(milliseconds)}
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT id FROM sla_slaclock WHERE next_check_at "
                       "<= now() ORDER BY next_check_at LIMIT 500 FOR UPDATE SKIP LOCKED")
        figures["plan"] = [row[0] for row in cursor.fetchall()]
    return figures


def _serve_smtp(port, counter, notices, ready):
    """The SMTP server's own process (as a real mail server would be): accept, count the mails and the notices they
    carry (one, or the "- [INC-…]" lines of a digest), discard."""
    import asyncio
    import email

    from aiosmtpd.controller import Controller

    class Count:
        async def handle_DATA(self, server, session, envelope):
            message = email.message_from_bytes(envelope.content)
            body = message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")
            listed = sum(1 for line in body.splitlines() if line.startswith("- ["))
            with counter.get_lock():
                counter.value += 1
                notices.value += listed or 1
            return "250 OK"

    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    asyncio.run(asyncio.sleep(10 ** 6))


class SmtpSink:
    """A real SMTP server (aiosmtpd) on loopback, in a process of its own, counting what it accepts."""

    def __init__(self):
        import multiprocessing

        self.port = measure.free_port()
        context = multiprocessing.get_context("spawn")
        self.counter, self.notices, self.ready = context.Value("i", 0), context.Value("i", 0), context.Event()
        self.process = context.Process(target=_serve_smtp, args=(self.port, self.counter, self.notices, self.ready),
                                       daemon=True)

    @property
    def count(self):
        return self.counter.value

    def __enter__(self):
        self.process.start()
        self.ready.wait(30)
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.join(10)


def celery(kind, env, name, tmp):
    args = (["worker", "-Q", env["CELERY_QUEUE"], "-c", "1", "-P", "solo", "-n", f"{name}@%h", "--without-heartbeat",
             "--without-mingle", "--without-gossip"] if kind == "worker"
            else ["beat", "-s", str(tmp / f"{name}-schedule"), "--pidfile", str(tmp / f"{name}.pid")])
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "itsm", *args, "-l", "WARNING"], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=(tmp / f"{name}.log").open("wb"))


def breach_burst(cast, agreement, count, url, progress):
    """Make `count` running clocks breach now and time two workers escalating them; check exactly once."""
    import tempfile

    from django.db import connection
    from django.utils import timezone

    from core.models import Notification
    from incidents.models import Incident
    from itsm.celery import app
    from sla.models import ClockThresholdEvent, SLAClock

    queue = f"bench-sla-{os.getpid()}"
    # Notices an earlier, interrupted run left unsent would be swept into this run's queue: settle them first.
    ClockThresholdEvent.objects.filter(notified_at__isnull=True).update(notified_at=timezone.now())
    candidates = list(SLAClock.objects.filter(sla=agreement, state="running", handled_percent=0, metric="resolution")
                      .values_list("pk", flat=True)[:count * 3])
    chosen = random.Random(7).sample(candidates, count)
    incident_ids = list(SLAClock.objects.filter(pk__in=chosen).values_list("incident_id", flat=True))
    tmp = Path(tempfile.mkdtemp(prefix="bench-sla-"))
    with SmtpSink() as smtp:
        env = {**os.environ, "DATABASE_URL": url, "CELERY_QUEUE": queue, "SLA_SCAN_INTERVAL_SECONDS": "1",
               "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}", "DB_CONN_MAX_AGE": "60"}
        processes = [celery("worker", env, "w1", tmp), celery("worker", env, "w2", tmp)]
        try:
            app.conf.task_default_queue = queue
            deadline = time.monotonic() + 60
            while len(app.control.ping(timeout=1) or []) < 2 and time.monotonic() < deadline:
                pass  # both workers answer before the clocks fall due
            processes.append(celery("beat", env, "beat", tmp))
            time.sleep(2)
            with connection.cursor() as cursor:  # 90 % handled already; all reach 100 % at this instant
                cursor.execute("""UPDATE sla_slaclock SET handled_percent = 90, next_threshold = 100,
                    segment_started_at = now() - interval '30 days', business_elapsed = interval '0',
                    due_at = now(), next_check_at = now() WHERE id = ANY(%s)""", [chosen])
            t0, escalated_at, notified_at = time.monotonic(), None, None
            events = ClockThresholdEvent.objects.filter(clock_id__in=chosen, threshold_percent=100)
            while time.monotonic() - t0 < 600:
                done = events.count()
                if escalated_at is None and done == count:
                    escalated_at = time.monotonic() - t0
                if done == count and not events.filter(notified_at__isnull=True).exists():
                    notified_at = time.monotonic() - t0
                    break
                progress(f"  {time.monotonic() - t0:5.1f} s: {done:,} breaches recorded")
                time.sleep(0.5)
            time.sleep(3)  # a few more ticks: nothing more may happen
        finally:
            for proc in processes:
                proc.terminate()
            for proc in processes:
                proc.wait(30)
        keys = [f"sla:{pk}:1:100" for pk in chosen]
        check = {
            "events": events.count(), "distinct clocks": events.values("clock_id").distinct().count(),
            "notifications": Notification.objects.filter(key__in=keys).count(),
            "reassigned": Incident.objects.filter(pk__in=incident_ids, assignment_group__name="Bench second line",
                                                  version=2).count(),
            "mails accepted": smtp.count, "notices in them": smtp.notices.value,
        }
    return {"escalated_s": escalated_at, "notified_s": notified_at, "check": check, "count": count,
            "at": timezone.now().isoformat()}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.sla", description=__doc__.split("\n")[0])
    parser.add_argument("--clocks", type=int, default=1_000_000, help="open clocks (default 1000000)")
    parser.add_argument("--breaching", type=int, default=10_000, help="clocks breaching at once (default 10000)")
    parser.add_argument("--database-url")
    parser.add_argument("--skip-burst", action="store_true")
    args = parser.parse_args(argv)
    url = database_url(args.database_url)
    setup_django(url)
    from sla.models import SLAClock

    say = lambda line: print(line, flush=True)  # noqa: E731
    cast, agreement = reference_data()
    say(f"seeding up to {args.clocks:,} open clocks ...")
    seconds = seed_clocks(cast, agreement, args.clocks, say)
    open_clocks = SLAClock.objects.filter(state__in=["running", "paused"]).count()
    say("\n" + machine_line(measure.machine()))
    say(f"Open clocks: {open_clocks:,} (seeded in {seconds:.0f} s)")
    idle = time_idle_tick()
    for name in ("scan service", "beat task"):
        ok = idle[name]["max_ms"] <= TARGET_IDLE_TICK_S * 1000
        say(f"| idle tick, {name} | median {idle[name]['median_ms']:.1f} ms | max {idle[name]['max_ms']:.1f} "
            f"ms | ≤ {TARGET_IDLE_TICK_S:.0f} s | {'met' if ok else 'MISSED'} |")
    say("  plan: " + " / ".join(line.strip() for line in idle["plan"]))
    if args.skip_burst:
        return
    burst = breach_burst(cast, agreement, args.breaching, url, say)
    ok = burst["notified_s"] is not None and burst["notified_s"] <= TARGET_BURST_S
    say(f"| {burst['count']:,} breaches at once, 2 workers | all recorded and reassigned in "
        f"{burst['escalated_s'] or float('nan'):.1f} s | all notified in {burst['notified_s'] or float('nan'):.1f} s "
        f"| ≤ {TARGET_BURST_S:.0f} s | {'met' if ok else 'MISSED'} |")
    say(f"  exactly once: {burst['check']}")
    say(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
