"""The requester picker: a search box that lists people as the agent types (htmx), instead of a list of everyone."""

from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from core.models import User


class PersonPicker(forms.Widget):
    """Posts the chosen person's id under the field's name; shows a search box and the person chosen."""

    def id_for_label(self, id_):
        return f"{id_}_search" if id_ else id_

    def render(self, name, value, attrs=None, renderer=None):
        field_id = (attrs or {}).get("id") or f"id_{name}"
        chosen = User.objects.filter(pk=value).first() if str(value or "").isdigit() else None
        return format_html(
            '<div class="person-picker" data-picker>'
            '<input type="hidden" name="{name}" id="{id}" value="{value}" data-picker-value>'
            '<div class="small mb-1" data-picker-chosen data-testid="picker-chosen">{chosen}</div>'
            '<input type="search" class="form-control" id="{id}_search" name="{name}_search" autocomplete="off" '
            'placeholder="{placeholder}" hx-get="{url}" hx-trigger="input changed delay:300ms, search" '
            'hx-target="#{id}_results" hx-sync="this:replace" aria-controls="{id}_results">'
            '<div id="{id}_results" class="list-group mt-1" role="listbox" aria-label="{results}" '
            'data-testid="picker-results"></div>'
            "</div>",
            name=name, id=field_id, value=chosen.pk if chosen else "",
            chosen=(f"{chosen} ({chosen.email})" if chosen and chosen.email else str(chosen or "")),
            placeholder=_("Type a name, e-mail, phone or organisation"),
            results=_("People found"),
            url=reverse("incidents:requester-search"),
        )
