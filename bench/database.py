"""Which database a benchmark uses: never the portal's own data."""

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
