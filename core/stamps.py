"""Stale-edit detection for records without a version column: an edit page carries a digest of the record as it was
shown, and the service refuses (409) a write whose digest no longer matches the row."""

import hashlib

from .exceptions import StaleVersion

_LEFT_OUT = {"password", "last_login"}  # never on an edit page; a login must not make an open edit stale


def stamp_of(obj):
    values = [(f.attname, getattr(obj, f.attname)) for f in obj._meta.concrete_fields if f.name not in _LEFT_OUT]
    return hashlib.sha256(repr(values).encode()).hexdigest()[:32]


def check_stamp(obj, stamp):
    """`obj` is the locked row; `stamp` what the writer saw (None: the caller has no stale check, e.g. the API)."""
    if stamp is not None and stamp != stamp_of(obj):
        raise StaleVersion()
