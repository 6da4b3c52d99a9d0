"""The administration pages: one generic list / create / edit for every section (administration.sections), and the
few actions that are not an edit (deactivate, invite again, members, attributes, revoke a token).

Administrators only (anyone else signed in gets 403). Every change goes through a service function; its errors come
back on the form's fields, a stale edit answers 409.
"""

from functools import reduce
from operator import or_

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apitokens import services as token_services
from apitokens.models import ApiToken
from cmdb import class_services
from cmdb import services as cmdb_services
from cmdb.models import AttributeDefinition
from core import services as core_services
from core.decorators import admin_required
from core.models import AssignmentGroup, User
from core.stamps import stamp_of
from core.views_helpers import run_service

from .forms import AttributeForm, MemberForm
from .sections import SECTIONS

PAGE_SIZE = 25


def _section(key):
    section = SECTIONS.get(key)
    if section is None:
        raise Http404
    return section


@admin_required
@require_GET
def index(request):
    return render(request, "administration/index.html", {"sections": SECTIONS.values()})


@admin_required
@require_GET
def section_list(request, section):
    section = _section(section)
    queryset = section.queryset()
    text = request.GET.get("q", "").strip().replace("\x00", "")
    if text:
        queryset = queryset.filter(reduce(or_, (Q(**{f"{name}__icontains": text}) for name in section.search)))
    filters = None
    if section.filterset is not None:
        filters = section.filterset(request.GET, queryset=queryset)
        queryset = filters.qs if filters.is_valid() else queryset.none()
        filters.form.fields.pop("q", None)  # the page's search box stands for it
        for field in filters.form.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(obj, [column.of(obj) for column in section.columns]) for obj in page]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "administration/list.html", {
        "section": section, "page": page, "rows": rows, "q": text, "filters": filters, "query": query.urlencode(),
    })


def _form_page(request, section, form, obj=None, status=200, **extra):
    context = {"section": section, "form": form, "object": obj, **extra}
    return render(request, "administration/form.html", context, status=status)


@admin_required
@require_http_methods(["GET", "POST"])
def section_create(request, section):
    section = _section(section)
    if section.create is None:
        raise Http404
    form = section.create_form(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            obj, status = run_service(request, lambda: section.create(request.user, **form.changes()), form)
            if obj is not None:
                _after_create(request, obj)
                return redirect("administration:edit", section=section.key, pk=obj.pk)
    return _form_page(request, section, form, status=status)


def _after_create(request, obj):
    messages.success(request, _("“%(name)s” was saved.") % {"name": obj})


def _edit_context(section, obj):
    if section.key == "groups":
        members = obj.members.order_by("username")
        return {"members": members, "member_form": MemberForm(group=obj)}
    if section.key == "ci-classes":
        return {"attributes": obj.attribute_definitions.order_by("position", "key"), "attribute_form": AttributeForm()}
    return {}


@admin_required
@require_http_methods(["GET", "POST"])
def section_edit(request, section, pk):
    section = _section(section)
    if section.update is None:
        raise Http404
    obj = get_object_or_404(section.queryset(), pk=pk)
    if request.method == "POST":
        form = section.edit_form(request.POST, instance=obj)
        status = 400
        if form.is_valid():
            saved, status = run_service(
                request, lambda: section.update(obj, request.user, form.cleaned_data["stamp"] or None,
                                                **form.changes()), form)
            if saved is not None:
                messages.success(request, _("“%(name)s” was saved.") % {"name": saved})
                return redirect("administration:edit", section=section.key, pk=saved.pk)
    else:
        form, status = section.edit_form(instance=obj, initial={"stamp": stamp_of(obj)}), 200
    return _form_page(request, section, form, obj, status, **_edit_context(section, obj))


def _back(section, pk):
    return redirect("administration:edit", section=section, pk=pk)


def _after_action(request, status, section_key, pk, done):
    """A POST action's answer: back to the edit page saying what happened; a refusal shows the edit page with its
    message and keeps the refusal's status (409, 400, 503) for clients and tests."""
    if status < 400:
        messages.success(request, done)
        return _back(section_key, pk)
    section = SECTIONS[section_key]
    obj = get_object_or_404(section.queryset(), pk=pk)
    form = section.edit_form(instance=obj, initial={"stamp": stamp_of(obj)})
    return _form_page(request, section, form, obj, status, **_edit_context(section, obj))


@admin_required
@require_POST
def user_set_active(request, pk):
    user = get_object_or_404(User, pk=pk)
    active = request.POST.get("active") == "1"
    _user, status = run_service(request, lambda: core_services.set_user_active(user, actor=request.user,
                                                                               active=active))
    done = _("The account is active again.") if active else _("The account is deactivated.")
    return _after_action(request, status, "users", pk, done)


@admin_required
@require_POST
def user_send_invitation(request, pk):
    user = get_object_or_404(User, pk=pk)
    _result, status = run_service(request, lambda: core_services.send_invitation(user, actor=request.user))
    return _after_action(request, status, "users", pk, _("The invitation was sent."))


@admin_required
@require_POST
def group_member_add(request, pk):
    group = get_object_or_404(AssignmentGroup, pk=pk)
    form = MemberForm(request.POST, group=group)
    if not form.is_valid():
        for error in form.errors.get("user", []):
            messages.error(request, error)
        return _after_action(request, 400, "groups", pk, "")
    person = form.cleaned_data["user"]
    _group, status = run_service(request, lambda: core_services.add_group_member(group, actor=request.user,
                                                                                 user=person))
    return _after_action(request, status, "groups", pk, _("%(person)s joined the group.") % {"person": person})


@admin_required
@require_POST
def group_member_remove(request, pk, user_id):
    group = get_object_or_404(AssignmentGroup, pk=pk)
    person = get_object_or_404(group.members.all(), pk=user_id)
    _group, status = run_service(request, lambda: core_services.remove_group_member(group, actor=request.user,
                                                                                    user=person))
    return _after_action(request, status, "groups", pk, _("%(person)s left the group.") % {"person": person})


@admin_required
@require_POST
def attribute_add(request, pk):
    ci_class = get_object_or_404(SECTIONS["ci-classes"].queryset(), pk=pk)
    form = AttributeForm(request.POST)
    status = 400
    if form.is_valid():
        definition, status = run_service(request, lambda: class_services.add_attribute_definition(
            ci_class, actor=request.user, **form.changes()), form)
        if definition is not None:
            messages.success(request, _("The attribute “%(key)s” was added.") % {"key": definition.key})
            return _back("ci-classes", pk)
    section = SECTIONS["ci-classes"]
    context = {**_edit_context(section, ci_class), "attribute_form": form}
    edit_form = section.edit_form(instance=ci_class, initial={"stamp": stamp_of(ci_class)})
    return _form_page(request, section, edit_form, ci_class, status, **context)


@admin_required
@require_POST
def attribute_delete(request, pk, attribute_id):
    definition = get_object_or_404(AttributeDefinition, pk=attribute_id, ci_class_id=pk)
    _none, status = run_service(request, lambda: cmdb_services.delete_attribute_definition(definition,
                                                                                           actor=request.user))
    return _after_action(request, status, "ci-classes", pk,
                         _("The attribute “%(key)s” was removed.") % {"key": definition.key})


@admin_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk)
    _token, status = run_service(request, lambda: token_services.revoke_token(token, actor=request.user))
    if status == 200:
        messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("administration:list", section="tokens")
