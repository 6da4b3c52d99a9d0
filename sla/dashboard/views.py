"""The dashboard page and its CSV download (team leads, managers, administrators; anyone else 403)."""


from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.decorators import role_required

from .export import csv_response
from .forms import DEFAULT_DAYS, DashboardForm
from .queries import DIMENSION_LABELS, METRICS, can_view_dashboard, dashboard_figures, visible_condition

# Signed in (else the login page), and a team lead, manager or administrator (else 403).
dashboard_required = role_required(can_view_dashboard)


def _figures(request, form):
    return dashboard_figures(visible_condition(request.user) & form.condition(), form.period_range)


def chart_data(figures):
    """What the charts draw (passed to the page with json_script): the weekly trend and each breakdown."""

    def series(rows):
        return {str(metric): [row[str(metric)]["compliance"] for row in rows] for metric in METRICS}

    return {
        "metrics": {str(metric): str(metric.label) for metric in METRICS},
        "axis": _("Compliance %"),
        "trend": {"labels": [row["week"].isoformat() for row in figures["trend"]], **series(figures["trend"])},
        "breakdowns": {
            dimension: {"title": str(DIMENSION_LABELS[dimension]), "labels": [row["label"] for row in rows],
                        **series(rows)}
            for dimension, rows in figures["breakdowns"].items()
        },
    }


def _chart_height(rows):
    """Pixels for a horizontal bar chart: room for each bar, within reason."""
    return min(80 + 28 * len(rows), 900)


@dashboard_required
@require_GET
def dashboard(request):
    form = DashboardForm(request.GET, user=request.user)
    # The period shown: a page opened without one shows the default's figures, so its select must say so too.
    context = {"form": form, "metrics": METRICS, "period_choice": request.GET.get("period") or str(DEFAULT_DAYS)}
    if form.is_valid():
        context["period_choice"] = form.cleaned_data["period"] or str(DEFAULT_DAYS)
        figures = _figures(request, form)
        sections = [{"name": name, "title": DIMENSION_LABELS[name], "rows": rows, "height": _chart_height(rows)}
                    for name, rows in figures["breakdowns"].items()]
        context.update(figures=figures, sections=sections, charts=chart_data(figures), csv_query=form.query_string())
    return render(request, "sla/dashboard/dashboard.html", context)


@dashboard_required
@require_GET
def dashboard_csv(request):
    form = DashboardForm(request.GET, user=request.user)
    if not form.is_valid():
        lines = [f"{field}: {' '.join(messages)}" for field, messages in form.errors.items()]
        return HttpResponseBadRequest("\n".join(lines), content_type="text/plain; charset=utf-8")
    return csv_response(_figures(request, form))
