"""Reply templates: canned answers per group, personal or for everyone, in both languages, with placeholders filled
from the record when an agent inserts one into a reply."""

import string

from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from core.roles import is_staff_member

from .models import ReplyTemplate

PLACEHOLDERS = ("requester", "number", "title", "agent", "due")


class _Missing(dict):
    def __missing__(self, key):
        return "{" + key + "}"  # an unknown placeholder stays as written: the agent sees it before sending


def templates_for(user):
    """The templates `user` may use: their own, their groups', and everyone's."""
    if not is_staff_member(user):
        return ReplyTemplate.objects.none()
    return ReplyTemplate.objects.filter(
        Q(owner=user) | Q(group__in=user.assignment_groups.all()) | Q(owner__isnull=True, group__isnull=True)
    ).distinct().order_by("name", "id")


def render(template, record, *, agent, language, due=None):
    """The template's text in `language` (Chinese falls back to English when empty), placeholders filled."""
    body = template.body_zh if language.startswith("zh") and template.body_zh.strip() else template.body_en
    requester = getattr(record, "requester", None)
    values = _Missing(
        requester=(requester.get_full_name() or requester.username) if requester else "",
        number=getattr(record, "number", ""), title=getattr(record, "title", ""),
        agent=agent.get_full_name() or agent.username,
        due=date_format(timezone.localtime(due), "DATETIME_FORMAT") if due else "",
    )
    # Formatter with only named fields: "{0}" or "{x.y}" in a template cannot reach attributes.
    out = []
    for literal, name, _spec, _conv in string.Formatter().parse(body):
        out.append(literal)
        if name is not None:
            out.append(values[name] if name.isidentifier() else "{" + name + "}")
    return "".join(out)
