"""Meta-tests: every user-facing string exists in Simplified Chinese, and the compiled catalogue is current."""

import gettext
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
SOURCE_DIRS = [p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()] + ["templates"]


def test_every_message_is_translated():
    catalogue = polib.pofile(str(PO))
    missing = [e.msgid for e in catalogue if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    assert not missing, f"untranslated in {PO.name}: {missing[:20]}"


def test_compiled_catalogue_matches_the_po_file():
    compiled = gettext.GNUTranslations(MO.open("rb"))
    for entry in polib.pofile(str(PO)):
        if entry.obsolete or entry.msgid_plural:
            continue
        got = compiled.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt else compiled.gettext(entry.msgid)
        assert got == entry.msgstr, f"{MO.name} is stale for {entry.msgid!r}: run `make messages`"


@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext (xgettext) is not installed")
def test_no_string_in_the_code_is_missing_from_the_catalogue(tmp_path):
    """Extract messages from a copy of the sources and check each is in the committed catalogue."""
    work = tmp_path / "src"
    for name in SOURCE_DIRS:
        shutil.copytree(ROOT / name, work / name, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copy(ROOT / "manage.py", work / "manage.py")
    (work / "locale").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-location", "--ignore=tests"],
        cwd=work, check=True, capture_output=True,
    )
    extracted = {e.msgid for e in polib.pofile(str(work / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))}
    known = {e.msgid for e in polib.pofile(str(PO)) if e.translated()}
    assert not extracted - known, f"not in the catalogue (run `make messages`): {sorted(extracted - known)[:20]}"
