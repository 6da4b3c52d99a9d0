"""`make backup` / `make restore` (itsm/backup.py): a backup restored into a fresh database has the same rows and the
same attachment files, byte for byte; a restore never overwrites data unless asked to."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from incidents import services
from incidents.models import IncidentAttachment
from itsm.backup import row_counts
from tests.api_mixins import make_incident
from tests.conftest import _test_database_url

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def run_backup(env, *args):
    return subprocess.run([sys.executable, "-m", "itsm.backup", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def connect(name):
    s = connection.settings_dict
    return psycopg.connect(host=s["HOST"] or None, port=s["PORT"] or None, user=s["USER"] or None,
                           password=s["PASSWORD"] or None, dbname=name, autocommit=True)


@pytest.fixture
def restored_database():
    name = f"{connection.settings_dict['NAME']}_restored"
    yield name
    with connect("postgres") as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_backup_then_restore_into_a_fresh_database_gives_equal_rows_and_files(
        transactional_db, cast, settings, tmp_path, restored_database):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path / "media"
    for n in range(3):
        incident = make_incident(cast, title=f"Printer {n} jams")
        services.add_comment(incident, actor=cast.agent, body="Log attached", attachments=[
            SimpleUploadedFile(f"log-{n}.txt", f"paper jam {n} ".encode() * 1000, content_type="text/plain")])
    source_url = _test_database_url()
    env = {**os.environ, "DATABASE_URL": source_url, "MEDIA_ROOT": str(tmp_path / "media")}
    made = run_backup(env, "backup", "--into", str(tmp_path / "backups"))
    assert made.returncode == 0, made.stderr
    folder = next((tmp_path / "backups").iterdir())
    assert sorted(p.name for p in folder.iterdir()) == ["database.dump", "manifest.json", "media.tar"]

    restored_media = tmp_path / "restored-media"
    target = {**env, "DATABASE_URL": source_url.rsplit("/", 1)[0] + "/" + restored_database,
              "MEDIA_ROOT": str(restored_media)}
    done = run_backup(target, "restore", str(folder))
    assert done.returncode == 0, done.stderr + done.stdout

    with connect(connection.settings_dict["NAME"]) as source, connect(restored_database) as copy:
        assert row_counts(copy) == row_counts(source)
        assert copy.execute("SELECT count(*) FROM incidents_incidentattachment").fetchone()[0] == 3
    for attachment in IncidentAttachment.objects.all():
        original = tmp_path / "media" / attachment.file.name
        assert _sha(restored_media / attachment.file.name) == _sha(original)

    # A second restore over the now full database and media folder is refused and changes nothing...
    refused = run_backup(target, "restore", str(folder))
    assert refused.returncode != 0 and "has files" in refused.stderr
    (restored_media / "attachments").rename(tmp_path / "aside")
    refused = run_backup(target, "restore", str(folder))
    assert refused.returncode != 0 and "has tables" in refused.stderr
    (tmp_path / "aside").rename(restored_media / "attachments")
    # ...unless asked to replace them.
    replaced = run_backup(target, "restore", str(folder), "--replace")
    assert replaced.returncode == 0, replaced.stderr + replaced.stdout
    assert list(tmp_path.glob("restored-media.before-restore-*"))


def test_a_damaged_backup_is_not_restored(transactional_db, tmp_path, restored_database):
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "MEDIA_ROOT": str(tmp_path / "media")}
    assert run_backup(env, "backup", "--into", str(tmp_path)).returncode == 0
    folder = next(tmp_path.glob("itsm-*"))
    with open(folder / "database.dump", "r+b") as dump:
        dump.seek(100)
        dump.write(b"\x00" * 16)
    target = {**env, "DATABASE_URL": env["DATABASE_URL"].rsplit("/", 1)[0] + "/" + restored_database,
              "MEDIA_ROOT": str(tmp_path / "restored-media")}
    refused = run_backup(target, "restore", str(folder))
    assert refused.returncode != 0 and "does not match its checksum" in refused.stderr
    with connect("postgres") as admin:
        assert not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [restored_database]).fetchone()
