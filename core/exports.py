"""Spreadsheet exports that a spreadsheet program cannot be made to run (CSV / formula injection).

Every CSV or XLSX the portal writes goes through `spreadsheet_cell` (XLSX: on each value before it is put in a cell)
or `csv_writer` (CSV): a text cell that starts with a formula trigger gets a leading apostrophe, which spreadsheet
programs show as text and never evaluate (OWASP's advice). Numbers stay numbers. tests/test_security_exports.py keeps
every `csv.writer` of the portal behind this module.
"""

import csv

# "=1+1", "+1", "-1", "@SUM(…)" start a formula; a tab or carriage return before them is skipped by some programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value):
    """The value to write into a spreadsheet cell: text that would start a formula is kept as text."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        return self._writer.writerow([spreadsheet_cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(stream, **options):
    """`csv.writer(stream, **options)` whose rows are neutralised cell by cell."""
    return _SafeWriter(csv.writer(stream, **options))
