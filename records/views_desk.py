"""Desk pages of the records framework: effort totals for leads, and an agent's own reply templates."""

import datetime

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.decorators import role_required, staff_required
from core.forms import StyledFormMixin
from core.models import AssignmentGroup, User
from core.roles import is_lead
from core.views_helpers import run_service

from . import effort, replies, reply_templates
from .models import ReplyTemplate
from .registry import KINDS

PERIODS = {"7": gettext_lazy("Last 7 days"), "30": gettext_lazy("Last 30 days"), "90": gettext_lazy("Last 90 days"),
           "365": gettext_lazy("Last 365 days")}


class EffortFilterForm(StyledFormMixin, forms.Form):
    period = forms.ChoiceField(label=gettext_lazy("Period"), choices=list(PERIODS.items()), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind of record"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All"))] + [(k.key, k.label_plural) for k in KINDS.values()]


def _named(rows, field, model):
    names = {obj.pk: obj for obj in model.objects.filter(pk__in=[r[field] for r in rows if r[field]])}
    return [(names.get(r[field]), r["minutes"]) for r in rows]


@role_required(is_lead)
@require_GET
def effort_totals(request):
    """Minutes spent per agent and per group over a period: what continual improvement reports."""
    form = EffortFilterForm(request.GET or None)
    period, kind = "30", None
    if form.is_valid():
        period = form.cleaned_data["period"] or "30"
        kind = form.cleaned_data["kind"] or None
    status = 400 if form.is_bound and not form.is_valid() else 200
    since = timezone.localdate() - datetime.timedelta(days=int(period))
    by_agent = _named(list(effort.totals_by("user", since=since, kind=kind)), "user", User)
    by_group = _named(list(effort.totals_by("group", since=since, kind=kind)), "group", AssignmentGroup)
    return render(request, "records/effort.html", {
        "form": form, "since": since, "by_agent": by_agent, "by_group": by_group,
        "total": sum(minutes for _who, minutes in by_agent)}, status=status)


class PersonalTemplateForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = ReplyTemplate
        fields = ["name", "body_en", "body_zh"]
        widgets = {"body_en": forms.Textarea(attrs={"rows": 3}), "body_zh": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"body_en": gettext_lazy("Placeholders: {requester} {number} {title} {agent} {due}")}

    def _post_clean(self):
        pass  # the service validates and saves


@staff_required
@require_http_methods(["GET", "POST"])
def my_templates(request):
    form = PersonalTemplateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            created, status = run_service(request, lambda: reply_templates.create_reply_template(
                actor=request.user, **form.cleaned_data), form=form)
            if created is not None:
                messages.success(request, _("Reply template %(name)s saved.") % {"name": created.name})
                return redirect("records:my-templates")
    return render(request, "records/my_templates.html", {
        "form": form, "templates": ReplyTemplate.objects.filter(owner=request.user).order_by("name", "id"),
        "shared": replies.templates_for(request.user).exclude(owner=request.user).select_related("group"),
    }, status=status)


@staff_required
@require_POST
def delete_my_template(request, pk):
    template = get_object_or_404(ReplyTemplate, pk=pk, owner=request.user)
    done, _status = run_service(request, lambda: reply_templates.delete_reply_template(
        template, actor=request.user) or True)
    if done:
        messages.success(request, _("Reply template %(name)s deleted.") % {"name": template.name})
    return redirect("records:my-templates")
