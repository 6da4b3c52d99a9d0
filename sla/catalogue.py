"""The active agreements as plain data, cached per process: which ones apply to a record is asked on every incident
change, inside its transaction, and must cost one cheap query rather than a join over five tables.

The cache is keyed by a fingerprint of the agreement table (a digest of every row's id and revision): every save of
an agreement gives it a new revision, and every change made through sla.definitions or the admin saves the agreement
row, so the next question after a change reloads (five queries). The agreement objects handed out are shared and
must be treated as read-only.
"""

from dataclasses import dataclass, field

from django.db import connection

from .choices import RecordKind
from .models import SLADefinition, SLATarget

_FINGERPRINT_SQL = (f"SELECT md5(string_agg(id || ':' || revision, ',' ORDER BY id)) "  # noqa: S608 - a constant
                    f"FROM {SLADefinition._meta.db_table}")


@dataclass(frozen=True)
class Target:
    """A target as the engine uses it: the agreement (shared, read-only), the metric and the allowed business time."""

    sla: SLADefinition
    metric: str
    duration: object

    @property
    def sla_id(self):
        return self.sla.pk


@dataclass
class Entry:
    agreement: SLADefinition
    priorities: frozenset
    services: frozenset
    organisations: frozenset
    groups: frozenset
    targets: dict = field(default_factory=dict)  # {(priority, metric): Target}

    def applies_to(self, incident):
        return ((not self.priorities or incident.priority in self.priorities)
                and (not self.services or incident.service_id in self.services)
                and (not self.organisations or incident.organisation_id in self.organisations)
                and (not self.groups or incident.assignment_group_id in self.groups))


_cache = {"fingerprint": None, "entries": ()}


def _load():
    agreements = list(SLADefinition.objects.filter(is_active=True, record_kind=RecordKind.INCIDENT))
    ids = [agreement.pk for agreement in agreements]
    related = {}
    for name, column in (("services", "service_id"), ("organisations", "organisation_id"),
                         ("assignment_groups", "assignmentgroup_id")):
        through = getattr(SLADefinition, name).through
        for agreement_id, value in through.objects.filter(sladefinition_id__in=ids).values_list("sladefinition_id",
                                                                                                 column):
            related.setdefault((name, agreement_id), set()).add(value)
    entries = {agreement.pk: Entry(
        agreement=agreement, priorities=frozenset(agreement.priorities or ()),
        services=frozenset(related.get(("services", agreement.pk), ())),
        organisations=frozenset(related.get(("organisations", agreement.pk), ())),
        groups=frozenset(related.get(("assignment_groups", agreement.pk), ())),
    ) for agreement in agreements}
    for target in SLATarget.objects.filter(sla_id__in=ids):
        entry = entries[target.sla_id]
        entry.targets[target.priority, target.metric] = Target(entry.agreement, target.metric, target.duration)
    return tuple(entries.values())


def entries(checked=False):
    """The active agreements for incidents (reloaded when the agreement table changed; `checked`: the caller
    already compared the fingerprint in this transaction)."""
    if checked and _cache["fingerprint"] is not None:
        return _cache["entries"]
    with connection.cursor() as cursor:
        cursor.execute(_FINGERPRINT_SQL)
        fingerprint = cursor.fetchone()
    if fingerprint != _cache["fingerprint"]:
        _cache["entries"] = _load()
        _cache["fingerprint"] = fingerprint
    return _cache["entries"]


def matching_targets(incident, checked=False):
    """{(agreement id, metric): Target} of the active agreements that apply to the incident at its priority."""
    found = {}
    for entry in entries(checked):
        if entry.applies_to(incident):
            for (priority, metric), target in entry.targets.items():
                if priority == incident.priority:
                    found[entry.agreement.pk, metric] = target
    return found


def forget():
    _cache.update(fingerprint=None, entries=())
