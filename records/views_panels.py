"""The panels every record's desk page carries, written once for any registered kind: watchers, links, time spent and
the timeline (each loaded by htmx, so the page keeps its own query budget), and the reply-template text a reply form
inserts. A kind's page includes them with `{% record_panels record %}` (records/templatetags/records_panels.py).

Changes are posted here and answered with the record's page again (its messages say what happened or why not)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.decorators import staff_required
from core.models import User
from core.numbering import normalise_number
from core.roles import is_staff_member
from core.views_helpers import run_service

from . import effort, links, replies, timeline, watchers
from .models import LinkType, RecordLink
from .registry import KINDS, kind_for_number


def find_record(request, kind_key, number):
    """The kind and the record `number` of it the person may see; 404 otherwise (an unknown kind too)."""
    kind = KINDS.get(kind_key)
    if kind is None:
        raise Http404
    record = get_object_or_404(kind.model.objects.visible_to(request.user),
                               number=normalise_number(kind.prefix, number))
    return kind, record


def record_page(kind, record):
    return redirect(reverse(kind.desk_url, args=[record.number]))


def run(request, call, form=None):
    """core's run_service, and a refusal (PermissionDenied) shown as the page's message rather than a 403 page: the
    person may see the record, only this change is not theirs to make."""
    try:
        return run_service(request, call, form=form)
    except PermissionDenied as refusal:
        messages.error(request, str(refusal) or _("You may not do this."))
        return None, 403


def _field_errors(request, form):
    """The page is shown again, not this small form: name the field in each message."""
    for field in form:
        for error in field.errors:
            messages.error(request, f"{field.label}: {error}")


# --- watchers ----------------------------------------------------------------------------------------------------

class WatcherForm(forms.Form):
    user = forms.ModelChoiceField(label=gettext_lazy("Person"), queryset=User.objects.filter(is_active=True))


@staff_required
@require_GET
def watchers_panel(request, kind_key, number):
    kind, record = find_record(request, kind_key, number)
    people = list(watchers.watchers_of(record))
    return render(request, "records/partials/watchers.html", {
        "kind": kind, "record": record, "watchers": people,
        "watching": any(p.pk == request.user.pk for p in people),
        "candidates": User.objects.filter(is_active=True).exclude(pk__in=[p.pk for p in people])
        .order_by("username")[:200],
    })


@staff_required
@require_POST
def watch(request, kind_key, number):
    kind, record = find_record(request, kind_key, number)
    done, _status = run(request, lambda: watchers.watch(record, request.user, actor=request.user) or True)
    if done:
        messages.success(request, _("You are watching %(number)s.") % {"number": record.number})
    return record_page(kind, record)


@staff_required
@require_POST
def unwatch(request, kind_key, number):
    kind, record = find_record(request, kind_key, number)
    done, _status = run(request, lambda: watchers.unwatch(record, request.user, actor=request.user) or True)
    if done:
        messages.success(request, _("You no longer watch %(number)s.") % {"number": record.number})
    return record_page(kind, record)


@staff_required
@require_POST
def add_watcher(request, kind_key, number):
    kind, record = find_record(request, kind_key, number)
    form = WatcherForm(request.POST)
    if not form.is_valid():
        _field_errors(request, form)
        return record_page(kind, record)
    person = form.cleaned_data["user"]
    done, _status = run(request, lambda: watchers.watch(record, person, actor=request.user) or True)
    if done:
        messages.success(request, _("%(person)s now watches %(number)s.") % {"person": person,
                                                                              "number": record.number})
    return record_page(kind, record)


@staff_required
@require_POST
def remove_watcher(request, kind_key, number, user_id):
    kind, record = find_record(request, kind_key, number)
    person = get_object_or_404(User, pk=user_id)
    done, _status = run(request, lambda: watchers.unwatch(record, person, actor=request.user) or True)
    if done:
        messages.success(request, _("%(person)s no longer watches %(number)s.") % {"person": person,
                                                                                    "number": record.number})
    return record_page(kind, record)


# --- links -------------------------------------------------------------------------------------------------------

class LinkForm(forms.Form):
    link_type = forms.ChoiceField(label=gettext_lazy("Link"), choices=LinkType.choices)
    target = forms.CharField(label=gettext_lazy("Record number"), max_length=30,
                             help_text=gettext_lazy("e.g. INC-000123"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_target(self):
        """The record the number names, of any registered kind, if this person may see it; else the same error for
        a number that does not exist and one they may not see."""
        text = self.cleaned_data["target"].strip()
        kind = kind_for_number(text)
        record = None
        if kind is not None:
            record = kind.model.objects.visible_to(self.user).filter(
                number=normalise_number(kind.prefix, text)).first()
        if record is None:
            raise forms.ValidationError(_("No record %(number)s.") % {"number": text})
        return record


@staff_required
@require_GET
def links_panel(request, kind_key, number):
    kind, record = find_record(request, kind_key, number)
    rows = [{"link": link, "label": label, "other": other, "kind": other.kind(),
             "url": reverse(other.kind().desk_url, args=[other.number])}
            for link, label, other in links.links_of(record, request.user)]
    return render(request, "records/partials/links.html", {
        "kind": kind, "record": record, "links": rows, "form": LinkForm(user=request.user)})


@staff_required
@require_POST
def add_link(request, kind_key, number):
    kind, record = find_record(request, kind_key, number)
    form = LinkForm(request.POST, user=request.user)
    if not form.is_valid():
        _field_errors(request, form)
        return record_page(kind, record)
    target = form.cleaned_data["target"]
    done, _status = run(request, lambda: links.add_link(
        record, form.cleaned_data["link_type"], target, actor=request.user), form=form)
    _field_errors(request, form)
    if done is not None:
        messages.success(request, _("%(number)s linked.") % {"number": target.number})
    return record_page(kind, record)


@staff_required
@require_POST
def remove_link(request, kind_key, number, link_id):
    kind, record = find_record(request, kind_key, number)
    key = kind.key
    # Only a link of this record (either side) is removed from its page.
    link = get_object_or_404(RecordLink.objects.filter(
        Q(source_kind=key, source_id=record.pk) | Q(target_kind=key, target_id=record.pk)), pk=link_id)
    done, _status = run(request, lambda: links.remove_link(link, actor=request.user) or True)
    if done:
        messages.success(request, _("Link removed."))
    return record_page(kind, record)


# --- time spent, timeline ----------------------------------------------------------------------------------------

@staff_required
@require_GET
def time_panel(request, kind_key, number):
    kind, record = find_record(request, kind_key, number)
    entries = list(effort.entries_of(record))
    per_agent = {}
    for entry in entries:
        per_agent[entry.user] = per_agent.get(entry.user, 0) + entry.minutes
    return render(request, "records/partials/time.html", {
        "kind": kind, "record": record, "total": sum(e.minutes for e in entries),
        "per_agent": sorted(per_agent.items(), key=lambda item: (-item[1], str(item[0]))),
        "entries": entries[:20],
    })


@staff_required
@require_GET
def timeline_panel(request, kind_key, number):
    kind, record = find_record(request, kind_key, number)
    return render(request, "records/partials/timeline.html", {
        "kind": kind, "record": record, "events": timeline.timeline_of(record, request.user)})


# --- reply templates ---------------------------------------------------------------------------------------------

def resolution_due(record):
    """When the record's resolution target falls due (its SLA clock), if it has one."""
    clocks = getattr(record, "sla_clocks", None)
    if clocks is None:
        return None
    clock = clocks.filter(metric="resolution", due_at__isnull=False).order_by("-id").first()
    return clock.due_at if clock else None


@staff_required
@require_GET
def reply_text(request, kind_key, number):
    """The chosen template's text for this record, in the requester's language: the reply form's script puts it
    into the message. Nothing chosen answers empty text."""
    _kind, record = find_record(request, kind_key, number)
    chosen = (request.GET.get("template") or "").strip()
    if not chosen:
        return HttpResponse("", content_type="text/plain; charset=utf-8")
    if not chosen.isdigit():
        raise Http404
    template = get_object_or_404(replies.templates_for(request.user), pk=int(chosen))
    requester = getattr(record, "requester", None)
    language = (getattr(requester, "language", "") or translation.get_language() or "en")
    text = replies.render(template, record, agent=request.user, language=language, due=resolution_due(record))
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


def reply_templates_of(user):
    return list(replies.templates_for(user)) if is_staff_member(user) else []
