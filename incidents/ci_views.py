"""The incident page's configuration-items panel (loaded by htmx, so the page itself keeps its query budget)."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from cmdb.forms import find_ci
from cmdb.models import ConfigurationItem
from core.decorators import staff_required
from core.views_helpers import run_service

from . import ci_services
from .models import CILink
from .views import _get_incident


class LinkCIForm(forms.Form):
    ci = forms.CharField(label=gettext_lazy("Configuration item (number or exact name)"), max_length=200)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_ci(self):
        return find_ci(ConfigurationItem.objects.visible_to(self.user), self.cleaned_data["ci"])


@staff_required
@require_GET
def panel(request, number):
    incident = _get_incident(request, number)
    context = {"incident": incident, "form": LinkCIForm(user=request.user),
               **ci_services.ci_overview(incident, request.user)}
    return render(request, "incidents/partials/cis.html", context)


def _back(number):
    return redirect("incidents:detail", number=number)


@staff_required
@require_POST
def link(request, number):
    incident = _get_incident(request, number)
    form = LinkCIForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("ci", [])))
        return _back(number)
    result, _status = run_service(request, lambda: ci_services.link_configuration_items(
        incident, actor=request.user, items=[form.cleaned_data["ci"]]))
    if result is not None:
        messages.success(request, _("%(ci)s linked.") % {"ci": form.cleaned_data["ci"]})
    return _back(number)


@staff_required
@require_POST
def unlink(request, number, ci_id):
    incident = _get_incident(request, number)
    link_kind = request.POST.get("link", CILink.AFFECTED_CI)
    _done, _status = run_service(request, lambda: ci_services.unlink_configuration_item(
        incident, actor=request.user, item=ci_id, link=link_kind))
    return _back(number)


@staff_required
@require_POST
def fill_services(request, number):
    incident = _get_incident(request, number)
    added, _status = run_service(request, lambda: ci_services.fill_affected_services(incident, actor=request.user))
    if added is not None:
        messages.success(request, ngettext("%(n)d affected service added from the impact graph.",
                                           "%(n)d affected services added from the impact graph.", len(added))
                         % {"n": len(added)})
    return _back(number)
