"""Business calendar pages: the list, a calendar's page (weekly pattern, exceptions, filling a year of holidays),
creating, editing and deleting calendars and exceptions. Changes go through sla.services; its ValidationErrors are
put on the fields and rows they name, and nothing is saved when anything is wrong.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import Conflict, StaleVersion

from .. import services
from ..choices import Weekday
from ..models import BusinessCalendar, CalendarException, ExceptionPeriod, SLADefinition, WorkingPeriod
from .common import edit_required, error_dict, may_edit, place_errors, view_required
from .forms import (
    OFFICE_WEEK,
    CalendarForm,
    ExceptionForm,
    ExceptionPeriodFormSet,
    FillForm,
    calendar_initial,
    calendar_stamp,
    exception_initial,
    exception_stamp,
    period_formset,
    time_zone_names,
)

_PERIODS = Prefetch("periods", queryset=WorkingPeriod.objects.order_by("weekday", "start_time"))
_AGREEMENTS = Prefetch("service_level_agreements", queryset=SLADefinition.objects.only("id", "name", "calendar_id")
                       .order_by("name"))


def _calendars(request):
    return BusinessCalendar.objects.visible_to(request.user)


def weekly_pattern(periods):
    """[{weekday, label, ranges}] for Monday to Sunday, from periods ordered by weekday and start."""
    by_day = {day: [] for day in Weekday.values}
    for period in periods:
        by_day[period.weekday].append(period.range_display)
    return [{"weekday": day, "label": Weekday(day).label, "ranges": by_day[day]} for day in Weekday.values]


def weekly_summary(periods):
    """Runs of weekdays with the same hours: [("Monday–Friday", "09:00–12:00, 13:00–18:00"), ...]."""
    runs = []
    for day in weekly_pattern(periods):
        ranges = ", ".join(day["ranges"])
        if runs and runs[-1]["ranges"] == ranges and runs[-1]["last"] == day["weekday"] - 1:
            runs[-1]["last"] = day["weekday"]
        else:
            runs.append({"first": day["weekday"], "last": day["weekday"], "ranges": ranges})
    return [(Weekday(run["first"]).label if run["first"] == run["last"]
             else f"{Weekday(run['first']).label}–{Weekday(run['last']).label}", run["ranges"])
            for run in runs if run["ranges"]]


def weekly_hours(periods):
    """Working hours per week, e.g. "45" or "37.5"."""
    return f"{sum(p.end_seconds - p.start_seconds for p in periods) / 3600:g}"


@view_required
@require_GET
def calendar_list(request):
    calendars = _calendars(request).annotate(exception_count=Count("exceptions", distinct=True)).prefetch_related(
        _PERIODS, _AGREEMENTS).order_by("name")
    rows = [{"calendar": c, "summary": weekly_summary(c.periods.all()), "hours": weekly_hours(c.periods.all()),
             "agreements": list(c.service_level_agreements.all())} for c in calendars]
    return render(request, "sla/desk/calendar_list.html", {"rows": rows, "can_edit": may_edit(request.user),
                                                           "tab": "calendars"})


def _selected_year(request, years):
    raw = request.GET.get("year")
    if raw == "all":
        return None
    try:
        if 1900 <= (chosen := int(raw)) <= 2200:
            return chosen
    except (TypeError, ValueError):  # none, or not a number ("²" passes str.isdigit() but not int())
        pass
    this_year = timezone.localdate().year
    return this_year if this_year in years or not years else years[-1]


def _detail_context(request, calendar, fill_form=None):
    years = [day.year for day in calendar.exceptions.dates("date", "year")]
    year = _selected_year(request, years)
    exceptions = calendar.exceptions.prefetch_related(
        Prefetch("periods", queryset=ExceptionPeriod.objects.order_by("start_time"))).order_by("date")
    if year is not None:
        exceptions = exceptions.filter(date__year=year)
    if year is not None and year not in years:
        years = sorted({*years, year})
    periods = list(calendar.periods.order_by("weekday", "start_time"))
    return {
        "calendar": calendar, "pattern": weekly_pattern(periods), "hours": weekly_hours(periods),
        "exceptions": exceptions, "years": years, "year": year, "can_edit": may_edit(request.user),
        "agreements": calendar.service_level_agreements.order_by("name"), "tab": "calendars",
        "fill_form": fill_form or FillForm(initial={"year": year or timezone.localdate().year, "country": "CN"}),
    }


@view_required
@require_GET
def calendar_detail(request, pk):
    calendar = get_object_or_404(_calendars(request), pk=pk)
    return render(request, "sla/desk/calendar_detail.html", _detail_context(request, calendar))


def _place_calendar_errors(form, periods, rows, exc):
    errors = error_dict(exc)
    place_errors(form, errors, skip={"periods"})
    if "periods" in errors:
        periods.place_refusal(rows, errors["periods"], services.period_errors)


def _calendar_form_page(request, calendar, form, periods, status):
    return render(request, "sla/desk/calendar_form.html", {
        "calendar": calendar, "form": form, "periods": periods, "time_zones": time_zone_names(), "tab": "calendars",
    }, status=status)


def _save_calendar(request, calendar, form, periods):
    """Call the service with the page's input; (calendar, None) or (None, status) with the errors placed."""
    rows = periods.live_rows()
    values = {"periods": [v for _f, v in rows], **form.values()}
    try:
        if calendar is None:
            return services.create_calendar(actor=request.user, **values), None
        with transaction.atomic():
            locked = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
            if form.cleaned_data["stamp"] and form.cleaned_data["stamp"] != calendar_stamp(locked):
                raise StaleVersion()
            return services.update_calendar(locked, actor=request.user, **values), None
    except StaleVersion as exc:
        form.add_error(None, exc.message)
        return None, exc.status_code
    except ValidationError as exc:
        _place_calendar_errors(form, periods, rows, exc)
        return None, 400


def _calendar_page(request, calendar):
    """Creating (calendar=None) or editing a calendar with its weekly periods."""
    if request.method == "GET":
        if calendar is None:
            form, current = CalendarForm(initial={"time_zone": "Asia/Shanghai"}), OFFICE_WEEK
        else:
            form = CalendarForm(initial=calendar_initial(calendar))
            current = list(calendar.periods.order_by("weekday", "start_time").values("weekday", "start_time",
                                                                                     "end_time"))
        return _calendar_form_page(request, calendar, form, period_formset(periods=current), 200)
    form, periods = CalendarForm(request.POST), period_formset(request.POST)
    status = 400
    if all([form.is_valid(), periods.is_valid()]):
        saved, status = _save_calendar(request, calendar, form, periods)
        if saved is not None:
            message = _("Calendar “%(name)s” saved.") if calendar else _("Calendar “%(name)s” created.")
            messages.success(request, message % {"name": saved.name})
            return redirect("sla-desk:calendar", pk=saved.pk)
    else:
        periods.preview(services.period_errors)
    return _calendar_form_page(request, calendar, form, periods, status)


@edit_required
@require_http_methods(["GET", "POST"])
def calendar_create(request):
    return _calendar_page(request, None)


@edit_required
@require_http_methods(["GET", "POST"])
def calendar_edit(request, pk):
    return _calendar_page(request, get_object_or_404(_calendars(request), pk=pk))


@edit_required
@require_http_methods(["GET", "POST"])
def calendar_delete(request, pk):
    calendar = get_object_or_404(_calendars(request), pk=pk)
    if request.method == "GET":
        return render(request, "sla/desk/confirm_delete.html", {
            "object": calendar, "tab": "calendars", "cancel_url": reverse("sla-desk:calendar", args=[calendar.pk]),
            "blockers": calendar.service_level_agreements.order_by("name")})
    try:
        services.delete_calendar(calendar, actor=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
        return render(request, "sla/desk/calendar_detail.html", _detail_context(request, calendar),
                      status=exc.status_code)
    messages.success(request, _("Calendar “%(name)s” deleted.") % {"name": calendar.name})
    return redirect("sla-desk:calendars")


@edit_required
@require_POST
def calendar_fill(request, pk):
    calendar = get_object_or_404(_calendars(request), pk=pk)
    form = FillForm(request.POST)
    if form.is_valid():
        try:
            result = services.fill_calendar(calendar, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            place_errors(form, error_dict(exc))
        else:
            messages.success(request, _("Holidays added: %(holidays)d. Make-up working days added: %(working_days)d. "
                                        "Dates that already had an exception, kept as they were: %(kept)d.") % {
                "holidays": len(result.holidays), "working_days": len(result.working_days),
                "kept": len(result.kept)})
            url = reverse("sla-desk:calendar", args=[calendar.pk])
            return redirect(f"{url}?year={form.cleaned_data['year']}")
    return render(request, "sla/desk/calendar_detail.html", _detail_context(request, calendar, form), status=400)


# --- Exceptions ----------------------------------------------------------------------------------------------------

def _exception_page(request, calendar, exception):
    if request.method == "GET":
        form = ExceptionForm(initial=exception_initial(exception) if exception else {})
        current = exception.periods.order_by("start_time").values("start_time", "end_time") if exception else []
        periods = ExceptionPeriodFormSet(prefix="periods", initial=list(current))
        return _exception_form_page(request, calendar, exception, form, periods, 200)
    form, periods = ExceptionForm(request.POST), ExceptionPeriodFormSet(request.POST, prefix="periods")
    status = 400
    if all([form.is_valid(), periods.is_valid()]):
        rows = periods.live_rows()
        data = [v for _f, v in rows]
        try:
            with transaction.atomic():
                BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)  # the services' lock order
                if exception is not None:
                    exception = get_object_or_404(CalendarException, pk=exception.pk)
                    if form.cleaned_data["stamp"] and form.cleaned_data["stamp"] != exception_stamp(exception):
                        raise StaleVersion()
                saved = services.save_exception(calendar, actor=request.user, exception=exception, periods=data,
                                                **form.values())
        except StaleVersion as exc:
            form.add_error(None, exc.message)
            status = exc.status_code
        except ValidationError as exc:
            errors = error_dict(exc)
            place_errors(form, errors, skip={"periods"})
            if "periods" in errors:
                rows_problems = services.exception_errors(form.cleaned_data.get("kind"),
                                                          form.cleaned_data.get("works_like_weekday"), data)
                if isinstance(rows_problems.get("periods"), list):
                    periods.place_row_errors(rows, rows_problems["periods"])
                else:
                    periods.problems.extend(errors["periods"])
        else:
            messages.success(request, _("Saved: %(exception)s.") % {"exception": saved})
            url = reverse("sla-desk:calendar", args=[calendar.pk])
            return redirect(f"{url}?year={saved.date.year}")
    return _exception_form_page(request, calendar, exception, form, periods, status)


def _exception_form_page(request, calendar, exception, form, periods, status):
    return render(request, "sla/desk/exception_form.html", {
        "calendar": calendar, "exception": exception, "form": form, "periods": periods, "tab": "calendars",
    }, status=status)


@edit_required
@require_http_methods(["GET", "POST"])
def exception_create(request, pk):
    return _exception_page(request, get_object_or_404(_calendars(request), pk=pk), None)


@edit_required
@require_http_methods(["GET", "POST"])
def exception_edit(request, pk, exception_id):
    calendar = get_object_or_404(_calendars(request), pk=pk)
    return _exception_page(request, calendar, get_object_or_404(calendar.exceptions, pk=exception_id))


@edit_required
@require_POST
def exception_delete(request, pk, exception_id):
    calendar = get_object_or_404(_calendars(request), pk=pk)
    exception = get_object_or_404(calendar.exceptions, pk=exception_id)
    services.delete_exception(exception, actor=request.user)
    messages.success(request, _("Removed: %(exception)s.") % {"exception": exception})
    return redirect(f"{reverse('sla-desk:calendar', args=[calendar.pk])}?year={exception.date.year}")
