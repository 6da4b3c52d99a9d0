"""Record numbers: each kind draws from its own PostgreSQL sequence (gap-tolerant, never reused) and formats the
value with its prefix (core.numbering): INC-000123, PRB-000007, KE-000042."""

from django.db import connection, migrations

from core.numbering import format_number

from .registry import kind_of


def next_numbers(model, count=1):
    """Reserve `count` numbers for records of `model`."""
    kind = kind_of(model)
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [kind.sequence, count])
        return [format_number(kind.prefix, row[0]) for row in cursor.fetchall()]


def create_sequence(db_table):
    """The migration operation that creates a kind's number sequence (named after its table)."""
    name = f"{db_table}_number_seq"
    return migrations.RunSQL(f"CREATE SEQUENCE IF NOT EXISTS {name} START 1", f"DROP SEQUENCE IF EXISTS {name}")
