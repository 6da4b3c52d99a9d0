"""Which database a benchmark uses (never the portal's own data), and setting Django up on it."""

import os
import sys
from urllib.parse import urlsplit, urlunsplit


def bench_database_url(explicit=None, *, override_variable, default_name):
    """`explicit`, else the variable `override_variable`, else DATABASE_URL's server with `default_name` as database."""
    url = explicit or os.environ.get(override_variable)
    if url:
        return url
    base = os.environ.get("DATABASE_URL")
    if not base:
        sys.exit(f"Set DATABASE_URL (the server to use) or {override_variable} (the exact database).")
    return urlunsplit(urlsplit(base)._replace(path=f"/{default_name}"))


def ensure_database(url):
    """Create the database `url` names if it does not exist yet."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django(url):
    """Create the benchmark's database if missing, point this process (and the processes it starts) at it, set
    Django up and migrate."""
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
