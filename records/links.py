"""Typed links between records of any kinds (INC-000123 caused by PRB-000007), read from either side."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.roles import is_staff_member

from .models import LINK_INVERSE_LABELS, LinkType, RecordLink
from .registry import KINDS, kind_of
from .services import audit


def add_link(source, link_type, target, *, actor):
    """Link `source` to `target` (idempotent: the same link twice is one link). Staff only; the system (None) too."""
    if actor is not None and not is_staff_member(actor):
        raise PermissionDenied(_("Only service desk staff may link records."))
    if link_type not in LinkType.values:
        raise ValidationError({"link_type": _("Choose how the records are linked.")})
    source_kind, target_kind = kind_of(source).key, kind_of(target).key
    if source_kind == target_kind and source.pk == target.pk:
        raise ValidationError({"target": _("A record cannot be linked to itself.")})
    with transaction.atomic(), audit(actor, "link"):
        try:
            with transaction.atomic():
                link, _created = RecordLink.objects.get_or_create(
                    source_kind=source_kind, source_id=source.pk, link_type=link_type, target_kind=target_kind,
                    target_id=target.pk, defaults={"created_by": actor})
        except IntegrityError:  # the same link made at the same instant by someone else
            link = RecordLink.objects.get(source_kind=source_kind, source_id=source.pk, link_type=link_type,
                                          target_kind=target_kind, target_id=target.pk)
    return link


def remove_link(link, *, actor):
    if actor is not None and not is_staff_member(actor):
        raise PermissionDenied(_("Only service desk staff may unlink records."))
    with transaction.atomic(), audit(actor, "unlink"):
        RecordLink.objects.filter(pk=link.pk).delete()


def linked_ids(record, link_type, target_kind, *, inverse=False):
    """Ids of the `target_kind` records linked to `record` by `link_type` (inverse: those linking to it)."""
    key = kind_of(record).key
    if inverse:
        return RecordLink.objects.filter(target_kind=key, target_id=record.pk, link_type=link_type,
                                         source_kind=target_kind).values_list("source_id", flat=True)
    return RecordLink.objects.filter(source_kind=key, source_id=record.pk, link_type=link_type,
                                     target_kind=target_kind).values_list("target_id", flat=True)


def links_of(record, user):
    """Every link of `record`, both ways, as (link, label as read from this side, other record), only to records
    `user` may see; ordered by when they were made."""
    key = kind_of(record).key
    rows = list(RecordLink.objects.filter(source_kind=key, source_id=record.pk)) + list(
        RecordLink.objects.filter(target_kind=key, target_id=record.pk))
    wanted = {}
    for link in rows:
        outward = link.source_kind == key and link.source_id == record.pk
        other_kind, other_id = (link.target_kind, link.target_id) if outward else (link.source_kind, link.source_id)
        wanted.setdefault(other_kind, set()).add(other_id)
    found = {}
    for other_kind, ids in wanted.items():
        if other_kind in KINDS:
            model = KINDS[other_kind].model
            found.update({(other_kind, r.pk): r for r in model.objects.visible_to(user).filter(pk__in=ids)})
    result = []
    for link in sorted(rows, key=lambda x: (x.created_at, x.pk)):
        outward = link.source_kind == key and link.source_id == record.pk
        other = found.get((link.target_kind, link.target_id) if outward else (link.source_kind, link.source_id))
        if other is not None:
            label = LinkType(link.link_type).label if outward else LINK_INVERSE_LABELS[link.link_type]
            result.append((link, label, other))
    return result
