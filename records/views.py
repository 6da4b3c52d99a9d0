"""Generic desk pages for a record kind, declared rather than written: a practice app subclasses RecordPages with
its model, filterset, columns, forms, panels and action services, and mounts `pages.urls()`. NetBox's generic views
in small: the list (filters, search, sort, pagination, an htmx partial), the detail page (registered panels, action
buttons and their forms), create and edit forms that call services, actions and the conversation.

Every read goes through the kind's `visible_to(user)`: a record the user may not see is a 404.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.decorators import role_required
from core.numbering import normalise_number
from core.roles import is_staff_member
from core.views_helpers import run_service

from .forms import CommentForm
from .links import links_of
from .registry import kind_of
from .timeline import timeline_of


class RecordPages:
    """The desk pages of one record kind. Set, in a subclass:

    model, filterset_class                    what is listed and how it is filtered
    columns = [(name, label)]                 list columns: a field, or an attribute/method of the record
    create_form / edit_form                   ModelForm-like forms; create_service(actor=, **cleaned) and
    create_service / update_service           update_service(record, actor=, version=, **cleaned) do the writing
    actions = {action: (service, form_class or None)}   service(record, actor=, version=, **cleaned)
    comment_service                           service(record, actor=, body=, internal=, version=)
    panels / side_panels                      templates included on the detail page (each gets `record`, `kind`)
    may_enter                                 who may open the pages (default: staff)
    """

    model = None
    filterset_class = None
    columns = []
    list_template = "records/list.html"
    table_template = "records/partials/list_table.html"
    detail_template = "records/detail.html"
    form_template = "records/form.html"
    create_form = None
    edit_form = None
    create_service = None
    update_service = None
    actions = {}
    comment_service = None
    panels = []
    side_panels = []
    select_related = ("requester", "assignment_group", "assignee")
    paginate_by = 25
    may_enter = staticmethod(is_staff_member)

    def __init__(self, namespace):
        self.namespace = namespace

    # --- helpers ------------------------------------------------------------------------------------------------
    @property
    def kind(self):
        return kind_of(self.model)

    def visible(self, request):
        return self.model.objects.visible_to(request.user).select_related(*self.select_related)

    def get_record(self, request, number):
        return get_object_or_404(self.visible(request), number=normalise_number(self.kind.prefix, number))

    def url(self, name):
        return f"{self.namespace}:{name}"

    def base_context(self, request):
        return {"kind": self.kind, "pages": self, "url_list": self.url("list"), "url_create": self.url("create")
                if self.create_form else None}

    # --- pages --------------------------------------------------------------------------------------------------
    def list_view(self, request):
        filterset = self.filterset_class(request.GET or None, queryset=self.visible(request), request=request)
        status = 200
        if filterset.is_bound and not filterset.is_valid():
            records, status = self.model.objects.none(), 400
        else:
            records = filterset.qs
        page = Paginator(records.defer(*self.model.SEARCH_FIELDS), self.paginate_by).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = {**self.base_context(request), "filterset": filterset, "page": page, "query": query.urlencode(),
                   "rows": [(record, [self.cell(record, name) for name, _label in self.columns]) for record in page],
                   "columns": self.columns}
        template = self.table_template if request.htmx else self.list_template
        return render(request, template, context, status=status)

    @staticmethod
    def cell(record, name):
        display = getattr(record, f"get_{name}_display", None)
        value = display() if display else getattr(record, name, "")
        return value() if callable(value) else value

    def detail_context(self, request, record, forms=None):
        forms = forms or {}
        workflow = self.kind.workflow
        allowed = workflow.allowed_actions(request.user, record)
        action_forms = []
        for action in allowed:
            service, form_class = self.actions.get(action, (None, None))
            if service is None:
                continue
            form = forms.get(action) or (form_class(prefix=action) if form_class else None)
            action_forms.append((action, workflow.action_labels.get(action, action), form))
        comments = []
        if hasattr(record, "comments"):  # the record is visible already: only internal notes remain to hide
            comments = record.comments.select_related("author")
            if not is_staff_member(request.user):
                comments = comments.filter(is_internal=False)
        return {
            **self.base_context(request), "record": record, "action_forms": action_forms,
            "comments": comments, "comment_form": forms.get("comment") or CommentForm(staff=is_staff_member(
                request.user)),
            "links": links_of(record, request.user), "timeline": timeline_of(record, request.user),
            "panels": self.panels, "side_panels": self.side_panels,
            "url_action": self.url("action"), "url_comment": self.url("comment"),
            "url_edit": self.url("edit") if self.edit_form else None,
        }

    def detail_view(self, request, number, *, forms=None, status=200):
        record = self.get_record(request, number)
        return render(request, self.detail_template, self.detail_context(request, record, forms), status=status)

    def create_view(self, request):
        if self.create_form is None:
            raise Http404
        form = self.create_form(request.POST or None, user=request.user)
        status = 200
        if request.method == "POST":
            if form.is_valid():
                record, status = run_service(request, lambda: self.create_service(
                    actor=request.user, **form.cleaned_data), form=form)
                if record is not None:
                    messages.success(request, _("%(number)s created.") % {"number": record.number})
                    return redirect(self.url("detail"), number=record.number)
            else:
                status = 400
        return render(request, self.form_template, {**self.base_context(request), "form": form, "record": None},
                      status=status)

    def edit_view(self, request, number):
        if self.edit_form is None:
            raise Http404
        record = self.get_record(request, number)
        form = self.edit_form(request.POST or None, instance=record, user=request.user)
        status = 200
        if request.method == "POST":
            if form.is_valid():
                changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "version"}
                done, status = run_service(request, lambda: self.update_service(
                    record, actor=request.user, version=request.POST.get("version"), **changes), form=form)
                if done is not None:
                    messages.success(request, _("%(number)s saved.") % {"number": record.number})
                    return redirect(self.url("detail"), number=record.number)
            else:
                status = 400
        return render(request, self.form_template, {**self.base_context(request), "form": form, "record": record},
                      status=status)

    def action_view(self, request, number):
        record = self.get_record(request, number)
        action = request.POST.get("action", "")
        service, form_class = self.actions.get(action, (None, None))
        if service is None:
            messages.error(request, _("Unknown action %(action)s.") % {"action": action})
            return self.detail_view(request, number, status=400)
        form = form_class(request.POST, prefix=action) if form_class else None
        if form is not None and not form.is_valid():
            return self.detail_view(request, number, forms={action: form}, status=400)
        data = dict(form.cleaned_data) if form is not None else {}
        done, status = run_service(request, lambda: service(record, actor=request.user,
                                                            version=request.POST.get("version"), **data), form=form)
        if done is None:
            return self.detail_view(request, number, forms={action: form} if form else None, status=status)
        messages.success(request, _("%(number)s: %(action)s done.") % {
            "number": record.number, "action": self.kind.workflow.action_labels.get(action, action)})
        return redirect(self.url("detail"), number=record.number)

    def comment_view(self, request, number):
        record = self.get_record(request, number)
        form = CommentForm(request.POST, staff=is_staff_member(request.user))
        if not form.is_valid():
            return self.detail_view(request, number, forms={"comment": form}, status=400)
        done, status = run_service(request, lambda: self.comment_service(
            record, actor=request.user, body=form.cleaned_data["body"], internal=form.cleaned_data["internal"],
            version=None), form=form)
        if done is None:
            return self.detail_view(request, number, forms={"comment": form}, status=status)
        return redirect(self.url("detail"), number=record.number)

    # --- URLs ---------------------------------------------------------------------------------------------------
    def urls(self):
        guard = role_required(self.may_enter)
        get_only = require_http_methods(["GET", "HEAD"])
        form_methods = require_http_methods(["GET", "HEAD", "POST"])
        patterns = [
            path("", guard(get_only(self.list_view)), name="list"),
            path("new/", guard(form_methods(self.create_view)), name="create"),
            path("<str:number>/", guard(get_only(self.detail_view)), name="detail"),
            path("<str:number>/edit/", guard(form_methods(self.edit_view)), name="edit"),
            path("<str:number>/action/", guard(require_POST(self.action_view)), name="action"),
        ]
        if self.comment_service is not None:
            patterns.append(path("<str:number>/comment/", guard(require_POST(self.comment_view)), name="comment"))
        return patterns
