"""The dashboard's figures as CSV: one row per breakdown value and per week, plus the totals, in a fixed layout."""

from django.http import HttpResponse
from django.utils.translation import gettext as _

from core.exports import csv_writer

from .queries import METRICS


def _cells(figures):
    cells = []
    for metric in METRICS:
        values = figures[str(metric)]
        average = values["average_seconds"]
        cells += [values["met"], values["breached"], "" if values["compliance"] is None else values["compliance"],
                  "" if average is None else round(average / 3600, 2)]
    return cells


def header():
    columns = [_("Section"), _("Key"), _("Label")]
    for metric in METRICS:
        columns += [_("%(metric)s met") % {"metric": metric.label},
                    _("%(metric)s breached") % {"metric": metric.label},
                    _("%(metric)s compliance %%") % {"metric": metric.label},
                    _("%(metric)s average business hours") % {"metric": metric.label}]
    return columns


def csv_rows(figures):
    """Rows after the header: `total`, then every breakdown (section = dimension name), then `week` rows."""
    period = figures["period"]
    yield ["total", "", _("%(first)s to %(last)s") % {"first": period.first, "last": period.last},
           *_cells(figures["totals"])]
    for dimension, rows in figures["breakdowns"].items():
        for row in rows:
            yield [dimension, "" if row["key"] is None else row["key"], row["label"], *_cells(row)]
    for row in figures["trend"]:
        yield ["week", row["week"].isoformat(), _("Week of %(day)s") % {"day": row["week"].isoformat()},
               *_cells(row)]


def csv_response(figures):
    period = figures["period"]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="sla-dashboard-{period.first}-{period.last}.csv"'
    response.write("\ufeff")  # a BOM, so that spreadsheet programs read the Chinese labels as UTF-8
    writer = csv_writer(response)  # labels are people's text: a service named "=HYPERLINK(…)" stays text
    writer.writerow(header())
    writer.writerows(csv_rows(figures))
    return response

