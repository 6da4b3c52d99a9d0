"""Reading import files: which format a file is, and its rows as plain dicts with their row numbers.

A file that is not CSV or JSON, is not UTF-8 text, is over the size limit or has a header the importer does not know
is refused as a whole (FileRefused / PayloadTooLarge); anything wrong inside one row is that row's problem and is
reported by the importer.

CSV (CIs): a header row, then one CI per row. Columns: class, external_key, name, state, owner (username),
organisation (code), support_group (name), location, description, and attr.<key> per attribute. An empty cell means
"not reported": the CI keeps what it had. Row numbers count the header as row 1, as a spreadsheet shows them.
CSV (relationships, a second file): source_key, type (relationship type code), target_key.
JSON: {"cis": [{"class": ..., "external_key": ..., "attributes": {...}, ...}], "relationships": [{"source_key": ...,
"type": ..., "target_key": ...}]} or just the list of CIs. In JSON an attribute set to null is removed.
"""

import csv
import io
import json

from django.conf import settings
from django.utils.translation import gettext as _

from core.exceptions import PayloadTooLarge, ServiceError

from .choices import ImportFormat

CI_COLUMNS = ("class", "external_key", "name", "state", "owner", "organisation", "support_group", "location",
              "description")
RELATIONSHIP_COLUMNS = ("source_key", "type", "target_key")
ATTRIBUTE_PREFIX = "attr."


class FileRefused(ServiceError):
    status_code = 400
    default_message = _("The file cannot be imported.")


def max_bytes():
    return getattr(settings, "CMDB_IMPORT_MAX_BYTES", 100 * 1024 * 1024)


def check_size(size):
    if size > max_bytes():
        raise PayloadTooLarge(_("The file is %(size)s bytes; the import limit is %(limit)s bytes.")
                              % {"size": size, "limit": max_bytes()}, limit=max_bytes())


def detect_format(filename, data):
    """CSV or JSON, from the name and the content (UTF-8 text throughout); anything else is refused whole."""
    name = (filename or "").lower()
    if b"\x00" in data[:8192]:
        raise FileRefused(_("“%(name)s” is a binary file; only CSV and JSON files can be imported.")
                          % {"name": filename})
    text = _text(data, filename)[:8192].lstrip()
    if name.endswith(".json") or (not name.endswith(".csv") and text[:1] in ("{", "[")):
        if text[:1] not in ("{", "["):
            raise FileRefused(_("“%(name)s” is not a JSON document.") % {"name": filename})
        return ImportFormat.JSON
    if name.endswith(".csv") or (name.endswith(".txt") and "," in text.split("\n", 1)[0]):
        return ImportFormat.CSV
    raise FileRefused(_("“%(name)s” is neither a CSV nor a JSON file.") % {"name": filename})


def _text(data, filename):
    try:
        return bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(_("“%(name)s” is not UTF-8 text.") % {"name": filename}) from None


def _csv_rows(data, filename, columns, allow_attributes):
    reader = csv.reader(io.StringIO(_text(data, filename), newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise FileRefused(_("“%(name)s” is empty.") % {"name": filename}) from None
    except csv.Error as exc:
        raise FileRefused(_("“%(name)s” is not valid CSV: %(error)s") % {"name": filename, "error": exc}) from None
    for column in header:
        known = column in columns or (allow_attributes and column.startswith(ATTRIBUTE_PREFIX)
                                      and len(column) > len(ATTRIBUTE_PREFIX))
        if not known:
            raise FileRefused(_("“%(name)s” has an unknown column “%(column)s”. Known columns: %(known)s%(attr)s.") % {
                "name": filename, "column": column, "known": ", ".join(columns),
                "attr": ", attr.<key>" if allow_attributes else ""})
    if len(set(header)) != len(header):
        raise FileRefused(_("“%(name)s” names a column twice.") % {"name": filename})
    required = [c for c in (("class", "external_key") if allow_attributes else columns) if c not in header]
    if required:
        raise FileRefused(_("“%(name)s” lacks the column(s) %(columns)s.") % {"name": filename,
                                                                            "columns": ", ".join(required)})
    rows = []
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            row = {}
            if len(cells) > len(header):
                row["__extra__"] = True
            attributes = {}
            for column, cell in zip(header, cells, strict=False):
                cell = cell.strip()
                if not cell:
                    continue
                if column.startswith(ATTRIBUTE_PREFIX):
                    attributes[column[len(ATTRIBUTE_PREFIX):]] = cell
                else:
                    row[column] = cell
            if allow_attributes:
                row["attributes"] = attributes
            rows.append((number, row))
    except csv.Error as exc:
        raise FileRefused(_("“%(name)s” is not valid CSV: %(error)s") % {"name": filename, "error": exc}) from None
    return rows


def _json_rows(data, filename):
    try:
        document = json.loads(_text(data, filename))
    except json.JSONDecodeError as exc:
        raise FileRefused(_("“%(name)s” is not valid JSON: %(error)s") % {"name": filename, "error": exc}) from None
    except RecursionError:  # nested thousands deep: Python's parser gives up (a 500 before)
        raise FileRefused(_("“%(name)s” is nested too deeply to be read.") % {"name": filename}) from None
    if isinstance(document, list):
        document = {"cis": document}
    if not isinstance(document, dict):
        raise FileRefused(_("“%(name)s” must hold an object with “cis” and “relationships”, or a list of CIs.")
                          % {"name": filename})
    unknown = sorted(set(document) - {"cis", "relationships"})
    if unknown:
        raise FileRefused(_("“%(name)s” has an unknown section “%(section)s”.") % {"name": filename,
                                                                                 "section": unknown[0]})
    sections = []
    for section in ("cis", "relationships"):
        entries = document.get(section, [])
        if not isinstance(entries, list):
            raise FileRefused(_("“%(section)s” in “%(name)s” must be a list.") % {"section": section, "name": filename})
        sections.append(list(enumerate(entries, start=1)))
    return sections


def read_rows(fmt, data, filename, relationships_data=b"", relationships_filename=""):
    """(CI rows, relationship rows), each a list of (row number, dict)."""
    if fmt == ImportFormat.JSON:
        cis, relationships = _json_rows(data, filename)
        if relationships_data:
            raise FileRefused(_("A JSON import carries its relationships in its “relationships” section."))
        return cis, relationships
    cis = _csv_rows(data, filename, CI_COLUMNS, allow_attributes=True)
    relationships = []
    if relationships_data:
        relationships = _csv_rows(relationships_data, relationships_filename, RELATIONSHIP_COLUMNS,
                                  allow_attributes=False)
    return cis, relationships
