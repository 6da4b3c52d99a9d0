"""Linking incidents to configuration items: the state changes, one function each (see incidents/services.py for
the rest). Kept apart from services.py only to keep that module readable; the same rules apply: a transaction, the
incident row locked, the audit context set, visibility of every CI checked through cmdb's authorisation layer.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Count, Min, Value, When
from django.utils.translation import gettext as _

from cmdb.graph import affected_services
from cmdb.models import ConfigurationItem
from core.exceptions import Conflict
from core.roles import is_staff_member
from records.services import audit as _audit
from records.services import lock as _lock

from .choices import FINAL_STATES, OPEN_STATES
from .models import CILink, Incident, IncidentConfigurationItem

# How many linked incidents a CI's page lists (it says how many there are in all).
CI_INCIDENTS_SHOWN = 20


def _check_staff(actor):
    if not is_staff_member(actor):
        raise PermissionDenied(_("Only service desk staff may link configuration items."))


def _check_actor(actor, incident):
    _check_staff(actor)
    if incident.state in FINAL_STATES:
        raise Conflict(_("A closed or cancelled incident cannot be changed."), state=incident.state)


def link_configuration_items(incident, *, actor, items, link=CILink.AFFECTED_CI):
    """Link CIs (ConfigurationItem objects or ids) to the incident; already-linked ones are left as they are."""
    _check_staff(actor)
    ids = {getattr(item, "pk", item) for item in items}
    if not ids:
        raise ValidationError({"configuration_items": _("Choose at least one configuration item.")})
    visible = set(ConfigurationItem.objects.visible_to(actor).filter(pk__in=ids).values_list("pk", flat=True))
    if visible != ids:
        raise ValidationError({"configuration_items": _("No such configuration item: %(ids)s.")
                               % {"ids": ", ".join(str(i) for i in sorted(ids - visible))}})
    with transaction.atomic(), _audit(actor, "link_ci"):
        incident = _lock(incident)
        _check_actor(actor, incident)
        have = set(incident.ci_links.filter(link=link).values_list("configuration_item_id", flat=True))
        IncidentConfigurationItem.objects.bulk_create([
            IncidentConfigurationItem(incident=incident, configuration_item_id=pk, link=link, added_by=actor)
            for pk in sorted(ids - have)
        ])
    return sorted(ids - have)


def unlink_configuration_item(incident, *, actor, item, link=CILink.AFFECTED_CI):
    with transaction.atomic(), _audit(actor, "unlink_ci"):
        incident = _lock(incident)
        _check_actor(actor, incident)
        deleted, _rows = incident.ci_links.filter(configuration_item_id=getattr(item, "pk", item), link=link).delete()
    if not deleted:
        raise ValidationError({"configuration_item": _("This configuration item is not linked to the incident.")})


def fill_affected_services(incident, *, actor):
    """Add the business and technical services the linked CIs' failure reaches (cmdb impact graph)."""
    _check_staff(actor)
    ci_ids = list(incident.ci_links.filter(link=CILink.AFFECTED_CI).values_list("configuration_item_id", flat=True))
    if not ci_ids:
        raise ValidationError({"configuration_items": _("Link the affected configuration items first.")})
    services = affected_services(ci_ids, user=actor).service_ids
    if not services:
        return []
    return link_configuration_items(incident, actor=actor, items=services, link=CILink.AFFECTED_SERVICE)


def ci_overview(incident, user):
    """What the incident page shows: the linked CIs with their other open incidents, the stored affected services,
    and the services the graph says are hit (computed now, for the "fill" button)."""
    links = list(
        incident.ci_links.select_related("configuration_item__ci_class").filter(
            configuration_item__in=ConfigurationItem.objects.visible_to(user)
        )
    )
    cis = [link.configuration_item for link in links if link.link == CILink.AFFECTED_CI]
    open_counts = dict(
        IncidentConfigurationItem.objects.filter(
            configuration_item__in=cis, link=CILink.AFFECTED_CI, incident__state__in=OPEN_STATES
        ).exclude(incident=incident).values("configuration_item").annotate(n=Count("incident", distinct=True))
        .values_list("configuration_item", "n")
    ) if cis else {}
    for ci in cis:
        ci.other_open_incidents = open_counts.get(ci.pk, 0)
    hit = affected_services([ci.pk for ci in cis], user=user) if cis else None
    return {
        "cis": cis,
        "stored_services": [link.configuration_item for link in links if link.link == CILink.AFFECTED_SERVICE],
        "graph": hit,
    }


def incidents_of_ci(ci, user, *, limit=CI_INCIDENTS_SHOWN):
    """What a CI's page shows: the incidents linked to it (as affected CI or affected service) that `user` may see,
    open ones first and newest first, each with `linked_at` (its first link to the CI); and how many there are.

    Two queries whatever the number: the count and the rows (one row per incident however it is linked).
    """
    linked = Incident.objects.visible_to(user).filter(ci_links__configuration_item=ci)
    total = linked.values("pk").distinct().count()
    rows = list(
        linked.annotate(linked_at=Min("ci_links__created_at"),
                        closed=Case(When(state__in=OPEN_STATES, then=Value(0)), default=Value(1)))
        .only("number", "title", "state", "priority", "created_at")
        .order_by("closed", "-created_at", "-id")[:limit]
    ) if total else []
    return {"incidents": rows, "total": total}
