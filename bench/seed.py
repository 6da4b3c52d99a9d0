"""Fast bulk seeding for the benchmark: the demo planner's incidents, written with COPY.

Per chunk of 10,000: incidents are COPYed into a temporary staging table together with the text their search vectors
are made of (split into its Latin part and its Chinese bigrams in Python, exactly as core.textsearch does), then
moved into the real table with one INSERT ... SELECT that builds both tsvectors in SQL; conversation entries are
COPYed straight into their table. Ids and numbers are reserved up front from the sequences, so comments can point at
incidents in the same chunk (the foreign keys are checked at commit).

Python plans the next chunk while PostgreSQL writes the previous one (a writer thread with its own connection, one
transaction for the whole load), so both cores work. The two GIN search indexes are dropped for the load and rebuilt
at its end in the same transaction. The history triggers stay on unless `history=False`.
"""

import contextlib
import queue
import threading
import time
from contextlib import contextmanager
from functools import lru_cache

import pghistory
import pgtrigger
from django.db import DatabaseError, connection, transaction

from core.textsearch import cjk_tokens, latin_part
from incidents.models import Incident, IncidentComment, next_numbers

SEARCH_FIELDS = ("search_vector", "internal_search_vector")
SEARCH_COLUMNS = ["public_latin", "public_cjk", "internal_latin", "internal_cjk"]
COMMENT_COLUMNS = ["incident_id", "author_id", "body", "is_internal", "created_at"]
GIN_INDEXES = ("incident_search", "incident_internal_search")


@lru_cache(maxsize=8192)
def _split(text):
    """(Latin part, CJK tokens) of one text; texts repeat a lot, so this is cached."""
    return latin_part(text), cjk_tokens(text)


def search_parts(texts):
    """The two strings core.textsearch.search_vector(*texts) feeds to to_tsvector('english') and ('simple').

    Equal to splitting the joined text: neither a CJK run nor a Latin word spans the newline that joins them.
    """
    latin, cjk = [], []
    for text in texts:
        part_latin, part_cjk = _split(text or "")
        latin.append(part_latin)
        cjk.extend(part_cjk)
    return "\n".join(latin), " ".join(cjk)


def _incident_fields():
    """(column, attribute, default) of every stored incident field but the search vectors, from the model."""
    return [(f.column, f.attname, f.get_default()) for f in Incident._meta.concrete_fields
            if f.name not in SEARCH_FIELDS]


def _reserve_ids(count):
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('incidents_incident', 'id')) "
                       "FROM generate_series(1, %s)", [count])
        return [row[0] for row in cursor.fetchall()]


def _rows(plans, fields):
    """COPY rows for one chunk: (incident rows with their search text, comment rows)."""
    ids, numbers = _reserve_ids(len(plans)), next_numbers(len(plans))
    incidents, comments = [], []
    for plan, pk, number in zip(plans, ids, numbers, strict=True):
        row = {**plan.fields, "id": pk, "number": number}
        incidents.append([*(row.get(attname, default) for _column, attname, default in fields),
                          *search_parts([number, *plan.public_texts]), *search_parts(plan.internal_texts)])
        comments.extend([pk, c["author_id"], c["body"], c["is_internal"], c["created_at"]] for c in plan.comments)
    return incidents, comments


@contextmanager
def _history_triggers(enabled):
    """Keep the history triggers cheap for a bulk load, or skip them.

    pgtrigger and pghistory read their settings with current_setting() inside PL/pgSQL exception blocks; a setting
    that was never set raises, and the raise and the rollback of the block cost about 0.3 ms a row, most of the
    load. With both set for the transaction (pghistory.context for the one, an empty ignore list for the other) a
    trigger costs ~45 µs. Disabled, they still fire but return at once. The flags are transaction-local and sent
    ahead of each statement that goes through Django; the COPYs later in the same transaction see them.
    """
    if enabled:
        with pghistory.context(action="bench_seed"), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('pgtrigger.ignore', '{}', true)")
            yield
    else:
        with pgtrigger.ignore("incidents.Incident:insert_insert", "incidents.IncidentComment:insert_insert"):
            yield


class ChunkWriter(threading.Thread):
    """Writes chunks handed over through a short queue, on this thread's own database connection."""

    def __init__(self, fields, *, history, steps):
        super().__init__(name="bench-seed-writer", daemon=True)
        self.fields, self.history, self.steps = fields, history, steps
        self.chunks = queue.Queue(maxsize=2)
        self.error = None

    def put(self, chunk):
        while self.is_alive():
            try:
                self.chunks.put(chunk, timeout=1)
                return
            except queue.Full:
                continue
        raise RuntimeError("the seed writer stopped") from self.error

    def finish(self):
        if self.is_alive():
            self.chunks.put(None)
        self.join()
        if self.error:
            raise RuntimeError("the seed writer failed") from self.error

    def run(self):
        try:
            # One transaction for the whole load: if anything fails, the search indexes dropped below come back.
            with transaction.atomic(), _history_triggers(self.history), connection.cursor() as cursor:
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
                definitions = _drop_search_indexes(cursor)
                cursor.execute("CREATE TEMP TABLE bench_incident_stage (LIKE incidents_incident) ON COMMIT DROP")
                cursor.execute("ALTER TABLE bench_incident_stage ADD COLUMN public_latin text, "
                               "ADD COLUMN public_cjk text, ADD COLUMN internal_latin text, "
                               "ADD COLUMN internal_cjk text")
                while (chunk := self.chunks.get()) is not None:
                    self._write(cursor, *chunk)
                clock = time.monotonic()
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # run the deferred foreign-key checks now
                self._lap("foreign-key checks", clock)
                clock = time.monotonic()
                for definition in definitions:
                    cursor.execute(definition)
                self._lap("rebuild search indexes", clock)
        except BaseException as error:  # noqa: BLE001 - handed to the main thread
            self.error = error
        finally:
            connection.close()

    def _lap(self, step, started):
        now = time.monotonic()
        self.steps[step] = self.steps.get(step, 0.0) + now - started
        return now

    def _write(self, cursor, incidents, comments):
        columns = ", ".join(column for column, _attname, _default in self.fields)
        stage_columns = f"{columns}, {', '.join(SEARCH_COLUMNS)}"
        clock = time.monotonic()
        cursor.execute("TRUNCATE bench_incident_stage")
        with cursor.copy(f"COPY bench_incident_stage ({stage_columns}) FROM STDIN") as copy:
            for row in incidents:
                copy.write_row(row)
        clock = self._lap("copy incidents", clock)
        cursor.execute(
            f"INSERT INTO incidents_incident ({columns}, search_vector, internal_search_vector) "  # noqa: S608
            f"SELECT {columns}, "
            "to_tsvector('english'::regconfig, public_latin) || to_tsvector('simple'::regconfig, public_cjk), "
            "to_tsvector('english'::regconfig, internal_latin) || to_tsvector('simple'::regconfig, internal_cjk) "
            "FROM bench_incident_stage")
        clock = self._lap("insert incidents + vectors", clock)
        with cursor.copy(f"COPY incidents_incidentcomment ({', '.join(COMMENT_COLUMNS)}) FROM STDIN") as copy:
            for row in comments:
                copy.write_row(row)
        self._lap("copy comments", clock)


def _drop_search_indexes(cursor):
    """Drop the GIN search indexes for the load and return how to rebuild them.

    Building a GIN index once over all rows is several times cheaper than maintaining it row by row (what
    pg_restore does too); the caller rebuilds them in the same transaction.
    """
    definitions = []
    for name in GIN_INDEXES:
        cursor.execute("SELECT pg_get_indexdef(%s::regclass)", [name])
        definitions.append(cursor.fetchone()[0])
        cursor.execute(f'DROP INDEX "{name}"')
    return definitions


def seed_incidents(planner, count, *, chunk_size=10_000, history=True, progress=None):
    """Plan and write `count` incidents; returns a dict of figures (seconds in all and per step)."""
    figures = {"incidents": 0, "comments": 0, "plan_seconds": 0.0, "steps": {}, "history": history}
    started = time.monotonic()
    fields = _incident_fields()
    # Ages drawn first and sorted oldest first: numbers rise with creation time, as they would have.
    ages = sorted((planner.random_age() for _ in range(count)), reverse=True)
    writer = ChunkWriter(fields, history=history, steps=figures["steps"])
    writer.start()
    try:
        for start in range(0, count, chunk_size):
            clock = time.monotonic()
            plans = sorted((planner.plan_one(age=age) for age in ages[start:start + chunk_size]),
                           key=lambda plan: plan.fields["created_at"])
            chunk = _rows(plans, fields)
            figures["plan_seconds"] += time.monotonic() - clock
            writer.put(chunk)
            figures["incidents"] += len(plans)
            figures["comments"] += len(chunk[1])
            if progress:
                progress(f"  {figures['incidents']:>7} incidents planned, {figures['comments']:>7} comments, "
                         f"{time.monotonic() - started:6.1f} s")
    finally:
        writer.finish()
    clock = time.monotonic()
    # Vacuumed and checkpointed here, as part of the load, so autovacuum and the checkpointer do not do it during
    # the measurements that follow (on two cores they would).
    with connection.cursor() as cursor:
        for model in (Incident, IncidentComment):
            for table in (model._meta.db_table, model.pgh_event_models["insert"]._meta.db_table):
                cursor.execute(f"VACUUM (ANALYZE) {table}")
        with contextlib.suppress(DatabaseError):
            cursor.execute("CHECKPOINT")  # needs superuser or pg_checkpoint; skipped without
    figures["steps"]["VACUUM ANALYZE + CHECKPOINT"] = time.monotonic() - clock
    figures["seconds"] = time.monotonic() - started
    return figures


def truncate_incidents():
    """Empty every incident table (and their history) so a run measures seeding into an empty database."""
    tables = ["incidents_incidentattachment", "incidents_incidentcomment", "incidents_incident",
              "incidents_incidentattachmentevent", "incidents_incidentcommentevent", "incidents_incidentevent"]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        cursor.execute(f"ALTER SEQUENCE {Incident.kind().sequence} RESTART")
