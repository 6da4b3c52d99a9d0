"""The self-service portal: a simpler face for end users (and anyone reporting for themselves)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.idempotency import idempotent_form_post
from core.ratelimit import limit_creations
from core.views_helpers import run_service
from incidents import major, services
from incidents.choices import OPEN_STATES, Action, Channel
from incidents.models import Incident, IncidentAttachment, IncidentComment
from incidents.workflow import allowed_actions
from sla import customer as sla_customer
from sla.choices import Metric

from .forms import PortalReplyForm, ReportIncidentForm

# The actions a requester sees as buttons in the portal, with the wording a requester understands.
REQUESTER_ACTIONS = {
    Action.CLOSE: gettext_lazy("Yes, it is solved"),
    Action.REOPEN: gettext_lazy("No, it is not solved"),
    Action.CANCEL: gettext_lazy("Withdraw this report"),
}


def _mine(request):
    return Incident.objects.visible_to(request.user)


@login_required
@require_GET
def home(request):
    show = request.GET.get("show", "open")
    incidents = _mine(request).select_related("assignment_group", "service").only(
        "number", "title", "state", "priority", "created_at", "updated_at", "assignment_group__name", "service__name"
    )
    incidents = incidents.filter(state__in=OPEN_STATES) if show == "open" else incidents.exclude(state__in=OPEN_STATES)
    incidents = incidents.prefetch_related(sla_customer.prefetch_customer_clocks())  # one query for the page
    page = Paginator(incidents.order_by("-updated_at", "-id"), 20).get_page(request.GET.get("page"))
    for incident in page:
        incident.resolution_expectation = sla_customer.expectation(incident, Metric.RESOLUTION)
    return render(request, "portal/home.html", {"page": page, "show": show,
                                                "major_incidents": major.ongoing_for(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
@idempotent_form_post("portal.report")  # outermost: a replay answers before the rate limit counts it
@limit_creations
def report(request):
    form = ReportIncidentForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            incident, status = run_service(request, lambda: services.create_incident(
                actor=request.user, title=data["title"], description=data["description"], service=data["service"],
                urgency=data["urgency"], channel=Channel.PORTAL,
                attachments=data["attachments"]), form=form)
            if incident is not None:
                messages.success(request, _("Thank you. Your report was recorded as %(number)s; we have sent you an "
                                            "acknowledgement by e-mail.") % {"number": incident.number})
                return redirect("portal:incident-detail", number=incident.number)
    return render(request, "portal/report.html", {"form": form}, status=status)


def _portal_context(request, incident, reply_form=None):
    comments = list(
        IncidentComment.objects.visible_to(request.user).filter(incident=incident).select_related("author")
    )
    files = IncidentAttachment.objects.visible_to(request.user).filter(incident=incident)
    by_comment = {}
    for attachment in files:
        by_comment.setdefault(attachment.comment_id, []).append(attachment)
    for comment in comments:
        comment.files = by_comment.get(comment.pk, [])
    actions = [a for a in allowed_actions(request.user, incident) if a in REQUESTER_ACTIONS]
    return {
        "incident": incident, "comments": comments, "incident_files": by_comment.get(None, []),
        "actions": [(a, REQUESTER_ACTIONS[a]) for a in actions],
        "reply_form": reply_form or PortalReplyForm(),
        # Customer agreements only: internal OLAs and supplier contracts never reach the requester (sla.customer).
        "expectations": sla_customer.expectations(incident, merge_holds=True),
    }


@login_required
@require_GET
def incident_detail(request, number):
    return _render_detail(request, number)


def _render_detail(request, number, status=200, reply_form=None):
    incident = get_object_or_404(_mine(request).select_related("assignment_group", "service"), number=number)
    template = "portal/partials/live.html" if request.htmx else "portal/incident.html"
    return render(request, template, _portal_context(request, incident, reply_form), status=status)


@login_required
@require_POST
def reply(request, number):
    incident = get_object_or_404(_mine(request), number=number)
    form = PortalReplyForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        result, status = run_service(request, lambda: services.add_comment(
            incident, actor=request.user, body=form.cleaned_data["body"],
            attachments=form.cleaned_data["attachments"]), form=form)
        if result is not None:
            messages.success(request, _("Your reply was sent."))
            return redirect("portal:incident-detail", number=number)
    return _render_detail(request, number, status=status, reply_form=form)


@login_required
@require_POST
def action(request, number):
    incident = get_object_or_404(_mine(request), number=number)
    name = request.POST.get("action", "")
    if name not in REQUESTER_ACTIONS:
        messages.error(request, _("Unknown action."))
        return _render_detail(request, number, status=400)
    result, status = run_service(request, lambda: services.transition_incident(
        incident, name, actor=request.user, version=request.POST.get("version") or None,
        comment=request.POST.get("comment", "")))
    if result is None:
        return _render_detail(request, number, status=status)
    messages.success(request, _("Thank you. %(number)s is now %(state)s.")
                     % {"number": result.number, "state": result.get_state_display()})
    return redirect("portal:incident-detail", number=number)
