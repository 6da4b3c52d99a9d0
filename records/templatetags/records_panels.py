"""`{% record_panels record %}`: the shared panels (watchers, links, time spent, timeline) on any kind's desk page;
`{% reply_template_picker record %}`: the reply-template menu of a reply form."""

from django import template

from records.registry import kind_of
from records.replies import templates_for

register = template.Library()


@register.inclusion_tag("records/partials/panels.html")
def record_panels(record):
    return {"record": record, "kind_key": kind_of(record).key}


@register.inclusion_tag("records/partials/reply_template_picker.html", takes_context=True)
def reply_template_picker(context, record, textarea_id="id_body"):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"record": record, "kind_key": kind_of(record).key, "textarea_id": textarea_id,
            "templates": list(templates_for(user)) if user is not None else []}
