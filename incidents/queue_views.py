"""The agent queue: filters, saved views, bulk actions on checked rows, and the requester picker of the desk."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.api.filtersets import UserFilterSet
from core.decorators import staff_required
from core.forms import SavedViewForm
from core.models import AssignmentGroup, SavedView, User
from core.saved_views import LISTS, clean_query, create_saved_view, delete_saved_view
from core.views_helpers import run_service

from . import bulk
from .choices import Impact, ResolutionCode, Urgency
from .filtersets import IncidentFilterSet
from .forms import BulkForm
from .models import Incident
from .tables import QUEUE_COLUMNS, QUEUE_LIST

PAGE_SIZES = (25, 50, 100)
ROW_FIELDS = (
    "id", "number", "version", "title", "state", "priority", "is_major", "created_at", "updated_at",
    "requester__username", "requester__first_name", "requester__last_name", "assignment_group__name",
    "assignee__username", "assignee__first_name", "assignee__last_name", "service",
)
FILTERS = ("q", "state", "open", "mine", "unassigned", "my_groups", "breaching_soon", "assignment_group", "priority",
           "assignee")
ANY_STATE = "any"
PICKER_SIZE = 10


def _shown_params(query):
    """The query as the person chose it: a browser form sends every control, its blank "all" options too, and a
    blank value means "not filtered" (django-filter would refuse it as an invalid choice)."""
    params = QueryDict(mutable=True)
    for key in query:
        values = [value for value in query.getlist(key) if value.strip()]
        if values:
            params.setlist(key, values)
    return params


def _filter_params(shown):
    """What the filterset gets: no state chosen means the open ones (unless "any state" or `open` says otherwise)."""
    params = shown.copy()
    if params.get("state") == ANY_STATE:
        del params["state"]
    elif "state" not in params and "open" not in params:
        params["open"] = "true"
    return params


def _columns(shown):
    wanted = [c for c in (shown.get("columns") or "").split(",") if c in QUEUE_COLUMNS]
    return wanted or list(QUEUE_COLUMNS)


def _saved_views(request):
    views = SavedView.objects.visible_to(request.user).filter(list_key=QUEUE_LIST)
    return list(views.select_related("owner", "shared_with"))


def _view_link(view):
    query = QueryDict(view.query, mutable=True)
    if view.sort:
        query["ordering"] = view.sort
    if view.columns:
        query["columns"] = ",".join(view.columns)
    query["view"] = str(getattr(view, "pk", None) or view.key)
    return f"{reverse('incidents:queue')}?{query.urlencode()}"


def _queue_context(request, query):
    shown = _shown_params(query)
    queryset = Incident.objects.visible_to(request.user).select_related(
        "requester", "assignment_group", "assignee"
    ).only(*ROW_FIELDS).prefetch_related("service", "sla_clocks")  # the SLA badges: one query per page
    filterset = IncidentFilterSet(_filter_params(shown), queryset=queryset, request=request)
    for name in ("organisation", "service", "category", "channel", "created_after", "created_before", "is_major"):
        filterset.form.fields.pop(name, None)  # not shown on the queue page (still accepted by the API)
    filterset.form.fields["assignee"].queryset = User.objects.filter(
        is_active=True, assignment_groups__isnull=False
    ).distinct()
    # Read once, shown twice (the filters and the bulk bar); the groups know whether the user is a member.
    membership = AssignmentGroup.members.through.objects.filter(assignmentgroup_id=OuterRef("pk"),
                                                                user_id=request.user.pk)
    groups = list(AssignmentGroup.objects.filter(is_active=True).annotate(mine=Exists(membership)))
    agents = list(filterset.form.fields["assignee"].queryset)
    incidents = filterset.qs if filterset.is_valid() else queryset.none()
    if not shown.get("ordering"):
        incidents = incidents.order_by("-created_at", "-id")
    try:
        page_size = int(shown.get("page_size", 25))
    except ValueError:
        page_size = 25
    page_size = page_size if page_size in PAGE_SIZES else 25
    page = Paginator(incidents, page_size).get_page(shown.get("page"))
    shown.pop("page", None)
    sort_query = shown.copy()
    sort_query.pop("ordering", None)
    record_list = LISTS[QUEUE_LIST]
    return {
        "filterset": filterset, "page": page, "query": shown.urlencode(), "sort_query": sort_query.urlencode(),
        "ordering": shown.get("ordering", ""), "state_choice": shown.get("state", ""), "any_state": ANY_STATE,
        "page_sizes": PAGE_SIZES, "page_size": page_size, "columns": _columns(shown),
        "all_columns": QUEUE_COLUMNS.items(), "active_view": shown.get("view", ""),
        "filters_query": clean_query(record_list, shown.urlencode()),
        "operations": bulk.OPERATIONS.items(), "groups": groups, "agents": agents,
        "impacts": Impact.choices, "urgencies": Urgency.choices, "resolution_codes": ResolutionCode.choices,
    }, 200 if filterset.is_valid() else 400


@staff_required
@require_GET
def queue(request):
    context, status = _queue_context(request, request.GET)
    if request.htmx and request.htmx.target == "queue-table":
        return render(request, "incidents/partials/queue_table.html", context, status=status)
    saved = _saved_views(request)
    builtins = [(view, _view_link(view)) for view in LISTS[QUEUE_LIST].builtins]
    context.update(
        builtin_views=builtins, saved_views=[(view, _view_link(view)) for view in saved],
        my_groups=[group for group in context["groups"] if group.mine],
    )
    return render(request, "incidents/queue.html", context, status=status)


@staff_required
@require_POST
def bulk_action(request):
    """Apply one action to the checked rows; the table comes back with a result per row."""
    form = BulkForm(request.POST)
    results, status = [], 400
    if form.is_valid():
        results, status = run_service(request, lambda: bulk.bulk_change(
            Incident.objects.visible_to(request.user), form.cleaned_data["rows"], form.cleaned_data["action"],
            actor=request.user, **form.options()), form=form)
        results = results or []
    for field in form:
        for error in field.errors:  # the table is shown again, not the bar's form: name the field in the message
            messages.error(request, f"{field.label}: {error}")
    query = request.POST.get("query", "")
    context, _status = _queue_context(request, QueryDict(query))
    context["bulk_results"] = results
    context["bulk_changed"] = sum(1 for r in results if r["status"] == 200)
    if request.htmx:
        return render(request, "incidents/partials/queue_table.html", context, status=status)
    if status == 200:
        messages.info(request, _("%(changed)d of %(total)d incidents changed.")
                      % {"changed": context["bulk_changed"], "total": len(results)})
    return redirect(f"{reverse('incidents:queue')}?{query}")


@staff_required
@require_POST
def save_view(request):
    form = SavedViewForm(request.POST, user=request.user, record_list=LISTS[QUEUE_LIST])
    view = None
    if form.is_valid():
        data = form.cleaned_data
        view, _status = run_service(request, lambda: create_saved_view(
            owner=request.user, list_key=QUEUE_LIST, name=data["name"], query=data["query"], columns=data["columns"],
            sort=data["ordering"], shared_with=data["shared_with"]), form=form)
    for field in form:
        for error in field.errors:  # the queue is shown again, not this small form: name the field in the message
            messages.error(request, f"{field.label}: {error}")
    if view is None:
        return redirect(f"{reverse('incidents:queue')}?{request.POST.get('query', '')}")
    messages.success(request, _("View %(name)s saved.") % {"name": view.name})
    return redirect(_view_link(view))


@staff_required
@require_POST
def delete_view(request, pk):
    view = get_object_or_404(SavedView.objects.visible_to(request.user), pk=pk, list_key=QUEUE_LIST)
    result, _status = run_service(request, lambda: delete_saved_view(view, actor=request.user) or True)
    if result:
        messages.success(request, _("View %(name)s deleted.") % {"name": view.name})
    return redirect("incidents:queue")


@staff_required
@require_GET
def requester_search(request):
    """The requester picker of "log an incident": people matching what the agent typed (name, e-mail, phone,
    organisation), through the same filter as the API's /users/?q=."""
    q = (request.GET.get("requester_search") or request.GET.get("q") or "").strip()
    people = []
    if q:
        filterset = UserFilterSet({"q": q, "is_active": True},
                                  queryset=User.objects.select_related("organisation").order_by("username"))
        people = list(filterset.qs[:PICKER_SIZE]) if filterset.is_valid() else []
    return render(request, "incidents/partials/requester_results.html", {"people": people, "q": q})
