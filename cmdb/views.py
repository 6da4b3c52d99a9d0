"""CMDB pages: the CI list, a CI's page (attributes, relationships both ways, impact graph drawn and listed,
history), creating and editing CIs and relationships, and imports. Reads go through `visible_to`; changes through
cmdb.services and cmdb.importer.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.core.validators import slug_re
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.decorators import staff_required
from core.exceptions import ServiceError
from core.request_body import upload_limit
from core.views_helpers import run_service
from incidents.ci_services import incidents_of_ci

from . import attributes as attrs
from . import graph, history, importer, services
from .choices import AttributeType, ImportOutcome
from .filtersets import ConfigurationItemFilterSet
from .forms import CompareForm, ConfigurationItemForm, ImportForm, RelationshipForm
from .models import CIClass, ConfigurationItem, ImportJob, Relationship
from .querysets import can_edit_cis

PAGE_SIZE = 50
IMPORT_SECTIONS = {"cis": gettext_lazy("CIs"), "relationships": gettext_lazy("Relationships")}


def _visible(request):
    return ConfigurationItem.objects.visible_to(request.user)


def _get_ci(request, pk):
    return get_object_or_404(_visible(request).select_related("ci_class", "owner", "organisation", "support_group"),
                             pk=pk)


@login_required
@require_GET
def ci_list(request):
    queryset = _visible(request).select_related("ci_class", "owner", "organisation").defer("description")
    filterset = ConfigurationItemFilterSet(request.GET, queryset=queryset, request=request)
    items = filterset.qs if filterset.is_valid() else queryset.none()
    if not request.GET.get("ordering"):
        items = items.order_by("name", "id")
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filterset": filterset, "page": page, "query": query.urlencode(), "classes": CIClass.objects.all(),
               "can_edit": can_edit_cis(request.user)}
    template = "cmdb/partials/ci_table.html" if request.htmx and request.htmx.target == "ci-table" \
        else "cmdb/ci_list.html"
    return render(request, template, context, status=200 if filterset.is_valid() else 400)


def _display(definition, value):
    if definition.type == AttributeType.BOOLEAN:
        return _("Yes") if value else _("No")
    return value


@login_required
@require_GET
def ci_detail(request, pk):
    ci = _get_ci(request, pk)
    return render(request, "cmdb/ci_detail.html", _detail_context(request, ci, {}))


def _detail_context(request, ci, forms):
    schema = attrs.schema_for(ci.ci_class)
    attributes = [{"definition": d, "value": _display(d, ci.attributes[key]) if key in ci.attributes else None}
                  for key, d in schema.definitions.items()]
    extra = [(k, v) for k, v in ci.attributes.items() if k not in schema.definitions]
    down, up = graph.dependants([ci.pk]), graph.dependencies([ci.pk])
    impact = graph.impact_graph(ci, user=request.user, down=down, up=up)
    affected = graph.affected_services([ci.pk], user=request.user, known_dependants=down)
    return {
        "ci": ci, "attributes": attributes, "extra_attributes": extra,
        "relationships": graph.read_from(ci, graph.relationships_of(ci, request.user)),
        "graph": impact, "dependants": [n for n in impact["nodes"] if n["side"] == "down"],
        "dependencies": [n for n in impact["nodes"] if n["side"] == "up"], "affected": affected,
        "can_edit": can_edit_cis(request.user),
        "relationship_form": forms.get("relationship") or RelationshipForm(visible=_visible(request)),
        "compare_form": forms.get("compare") or CompareForm(),
        "linked_incidents": incidents_of_ci(ci, request.user),
    }


@staff_required
@require_http_methods(["GET", "POST"])
def ci_create(request):
    code = request.GET.get("class") or request.POST.get("ci_class") or ""
    # Class codes are slugs; anything else (a NUL byte) names no class rather than reaching the database.
    ci_class = CIClass.objects.filter(code=code).first() if slug_re.match(code) else None
    if ci_class is None:
        return render(request, "cmdb/ci_choose_class.html", {"classes": CIClass.objects.all()})
    form = ConfigurationItemForm(request.POST or None, schema=attrs.schema_for(ci_class))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                ci = services.create_ci(actor=request.user, ci_class=ci_class, **form.service_arguments())
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            else:
                messages.success(request, _("%(name)s recorded.") % {"name": ci.name})
                return redirect("cmdb:detail", pk=ci.pk)
    return render(request, "cmdb/ci_form.html", {"form": form, "ci_class": ci_class, "ci": None}, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def ci_edit(request, pk):
    ci = _get_ci(request, pk)
    form = ConfigurationItemForm(request.POST or None, schema=attrs.schema_for(ci.ci_class), instance=ci)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.update_ci(ci, actor=request.user, version=form.cleaned_data["version"],
                                   **form.service_arguments(instance=ci))
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            except ServiceError as exc:
                form.add_error(None, str(exc.message))
                status = exc.status_code
            else:
                messages.success(request, _("%(name)s updated.") % {"name": ci.name})
                return redirect("cmdb:detail", pk=ci.pk)
    return render(request, "cmdb/ci_form.html", {"form": form, "ci_class": ci.ci_class, "ci": ci}, status=status)


@staff_required
@require_POST
def relationship_add(request, pk):
    ci = _get_ci(request, pk)
    form = RelationshipForm(request.POST, visible=_visible(request))
    if form.is_valid():
        data = form.cleaned_data
        source, target = (ci, data["other"]) if data["direction"] == "outgoing" else (data["other"], ci)
        try:
            services.create_relationship(actor=request.user, source=source, target=target, type=data["type"])
        except ValidationError as exc:
            for messages_ in exc.message_dict.values():
                for message in messages_:
                    form.add_error("other", message)
        else:
            messages.success(request, _("%(source)s %(label)s %(target)s.") % {
                "source": source.name, "label": data["type"].forward_label, "target": target.name})
            return redirect("cmdb:detail", pk=ci.pk)
    return render(request, "cmdb/ci_detail.html", _detail_context(request, ci, {"relationship": form}), status=400)


@staff_required
@require_POST
def relationship_delete(request, pk, relationship_id):
    ci = _get_ci(request, pk)
    rel = get_object_or_404(Relationship.objects.visible_to(request.user).involving(ci), pk=relationship_id)
    _done, status = run_service(request, lambda: services.delete_relationship(rel, actor=request.user))
    if status == 200:
        messages.success(request, _("Relationship removed."))
    return redirect("cmdb:detail", pk=ci.pk)


@staff_required
@require_GET
def ci_history(request, pk):
    ci = _get_ci(request, pk)
    return render(request, "cmdb/partials/history.html", {"rows": history.ci_history(ci)})


@staff_required
@require_GET
def ci_compare(request, pk):
    ci = _get_ci(request, pk)
    form = CompareForm(request.GET)
    if not form.is_valid():
        return render(request, "cmdb/ci_detail.html", _detail_context(request, ci, {"compare": form}), status=400)
    result = history.compare(ci, form.cleaned_data["earlier"], form.cleaned_data["later"])
    return render(request, "cmdb/ci_compare.html", {"ci": ci, "form": form, "result": result})


@upload_limit("CMDB_IMPORT_MAX_BYTES")
@staff_required
@require_http_methods(["GET", "POST"])
def import_page(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                job = importer.create_job(actor=request.user, file=data["file"],
                                          relationships_file=data.get("relationships_file"),
                                          external_source=data["source"])
            except (ServiceError, ValidationError, PermissionDenied) as exc:
                form.add_error("file", getattr(exc, "message", None) or " ".join(getattr(exc, "messages", [])))
                status = getattr(exc, "status_code", 400)
            else:
                importer.start_job(job)
                return redirect("cmdb:import-job", pk=job.pk)
    jobs = ImportJob.objects.visible_to(request.user).select_related("created_by").defer(
        "payload", "relationships_payload", "rows")[:20]
    return render(request, "cmdb/import.html", {"form": form, "jobs": jobs}, status=status)


@staff_required
@require_GET
def import_job(request, pk):
    job = get_object_or_404(ImportJob.objects.visible_to(request.user).defer("payload", "relationships_payload"),
                            pk=pk)
    outcome = request.GET.get("outcome") or ImportOutcome.REFUSED
    rows = [r for r in job.rows if outcome == "all" or r["outcome"] == outcome]
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    # The report stores outcome and section codes; the page shows their translated labels.
    labels = {**dict(ImportOutcome.choices), **IMPORT_SECTIONS}
    page.object_list = [{**r, "outcome": labels.get(r["outcome"], r["outcome"]),
                         "section": labels.get(r["section"], r["section"])} for r in page]
    summary = {section: [(labels.get(key, key), n) for key, n in (job.summary.get(section) or {}).items()]
               for section in IMPORT_SECTIONS}
    template = "cmdb/partials/import_job.html" if request.htmx else "cmdb/import_job.html"
    return render(request, template, {"job": job, "page": page, "outcome": outcome, "summary": summary,
                                      "outcomes": ImportOutcome.choices})
