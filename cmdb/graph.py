"""Impact analysis on the relationship graph: one recursive query in PostgreSQL per question, never a loop of queries.

Convention (cmdb.models.RelationshipType): the source of a relationship depends on its target. So
- downstream, "what depends on this CI" (what breaks if it fails), walks target → source;
- upstream, "what does it rest on", walks source → target;
both only along types that propagate impact.

Cycle protection and cost. The walk is `UNION` (not `UNION ALL`) over (ci_id, depth) with a depth bound: PostgreSQL
discards a row that duplicates one already produced, so each CI enters the frontier at most once per depth, and a
cycle is followed at most max_depth / cycle-length times before the bound stops it; the outer query keeps each CI's
smallest depth and drops the starting CIs (reached again through a cycle). This bounds the work by CIs × depth. A
path array (or the CYCLE clause, which keeps one) stops cycles too, but makes every path a distinct row, and paths
multiply at each diamond — ten levels of redundant pairs are 1,024 paths to one CI — so it is exponential on the
redundant estates a CMDB describes (clusters, paired switches, replicated databases).
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q

from core.models import Organisation

from .choices import INACTIVE_STATES, Direction
from .models import ConfigurationItem, Relationship, RelationshipType

DEPTH_LIMIT = 50  # the most any caller may ask for


def default_depth():
    return getattr(settings, "CMDB_IMPACT_MAX_DEPTH", 10)


def clamp_depth(max_depth):
    """The depth bound to use: the default when None, else within 1..DEPTH_LIMIT."""
    if max_depth is None:
        return default_depth()
    return max(1, min(int(max_depth), DEPTH_LIMIT))


_WALK = {
    # direction: (column matched against the frontier, column that becomes the next frontier)
    Direction.DOWN: ("target_id", "source_id"),
    Direction.UP: ("source_id", "target_id"),
}


def _impact_sql(direction):
    from_column, next_column = _WALK[Direction(direction)]
    return f"""
        WITH RECURSIVE propagating AS (
            SELECT id FROM {RelationshipType._meta.db_table} WHERE propagates_impact
        ), walk(ci_id, depth) AS (
            SELECT start_id, 0 FROM unnest(%(start)s::bigint[]) AS start_id
          UNION
            SELECT r.{next_column}, w.depth + 1
            FROM walk w
            JOIN {Relationship._meta.db_table} r ON r.{from_column} = w.ci_id
            WHERE w.depth < %(max_depth)s AND r.type_id IN (SELECT id FROM propagating)
        )
        SELECT ci_id, min(depth) FROM walk
        WHERE depth > 0 AND ci_id <> ALL(%(start)s::bigint[])
        GROUP BY ci_id
    """  # noqa: S608 - table and column names come from the models and the two directions above


def impact(ci_ids, *, direction=Direction.DOWN, max_depth=None):
    """{ci_id: depth} of every CI reached from `ci_ids` (depth 1 = a direct neighbour), starting CIs excluded."""
    start = sorted({int(pk) for pk in ci_ids})
    if not start:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_impact_sql(direction), {"start": start, "max_depth": clamp_depth(max_depth)})
        return dict(cursor.fetchall())


def dependants(ci_ids, max_depth=None):
    """What depends on these CIs, transitively: {ci_id: depth}."""
    return impact(ci_ids, direction=Direction.DOWN, max_depth=max_depth)


def dependencies(ci_ids, max_depth=None):
    """What these CIs rest on, transitively: {ci_id: depth}."""
    return impact(ci_ids, direction=Direction.UP, max_depth=max_depth)


@dataclass
class AffectedServices:
    """The services a failure of some CIs reaches, the organisations using them and how many people they have."""

    services: list = field(default_factory=list)  # ConfigurationItem, each with .impact_depth (0 = a CI given)
    organisations: list = field(default_factory=list)
    user_count: int = 0

    @property
    def service_ids(self):
        return [service.pk for service in self.services]


def affected_services(ci_ids, *, max_depth=None, user=None, known_dependants=None):
    """Business and technical services hit when `ci_ids` fail: the CIs themselves and their dependants whose class
    is a service, not retired or disposed. An incident linked to CIs asks exactly this. With `user`, only what that
    person may see is reported. `known_dependants` ({id: depth} from `dependants`) saves walking the graph again.
    """
    start = {int(pk) for pk in ci_ids}
    if not start:
        return AffectedServices()
    walked = known_dependants if known_dependants is not None else dependants(start, max_depth)
    depths = {pk: 0 for pk in start} | walked
    services = (ConfigurationItem.objects.among(depths).filter(ci_class__is_service=True)
                .exclude(state__in=INACTIVE_STATES).select_related("ci_class", "organisation"))
    if user is not None:
        services = services.visible_to(user)
    services = sorted(services, key=lambda ci: (depths[ci.pk], ci.name, ci.pk))
    for service in services:
        service.impact_depth = depths[service.pk]
    organisation_ids = {s.organisation_id for s in services if s.organisation_id}
    organisations = list(Organisation.objects.filter(pk__in=organisation_ids).annotate(
        user_count=Count("users", filter=Q(users__is_active=True))).order_by("name"))
    return AffectedServices(services=services, organisations=organisations,
                            user_count=sum(o.user_count for o in organisations))


def would_create_cycle(source_id, target_id, type_id):
    """Whether adding source → target of this type closes a loop of that type (the target already reaches the
    source). A single-column UNION is a visited set, so the walk ends on any graph; EXISTS stops at the first hit.
    """
    if source_id == target_id:
        return True
    sql = f"""
        WITH RECURSIVE reach(ci_id) AS (
            SELECT %(target)s::bigint
          UNION
            SELECT r.target_id FROM reach JOIN {Relationship._meta.db_table} r
              ON r.source_id = reach.ci_id AND r.type_id = %(type)s
        )
        SELECT EXISTS (SELECT 1 FROM reach WHERE ci_id = %(source)s)
    """  # noqa: S608 - the table name comes from the model
    with connection.cursor() as cursor:
        cursor.execute(sql, {"source": source_id, "target": target_id, "type": type_id})
        return cursor.fetchone()[0]


def relationships_of(ci, user):
    """The relationships of `ci` whose both ends `user` may see, by type name (for a CI's page and its API)."""
    return (Relationship.objects.visible_to(user).involving(ci)
            .select_related("type", "source__ci_class", "target__ci_class").order_by("type__name", "id"))


def read_from(ci, relationships):
    """Each relationship as read from `ci`: outgoing ones with the forward label, incoming ones with the reverse."""
    rows = []
    for rel in relationships:
        outgoing = rel.source_id == ci.pk
        rows.append({"id": rel.pk, "type": rel.type, "direction": "outgoing" if outgoing else "incoming",
                     "label": rel.type.forward_label if outgoing else rel.type.reverse_label,
                     "other": rel.target if outgoing else rel.source, "external_source": rel.external_source})
    return rows


def impact_graph(ci, *, user, max_depth=None, node_limit=250, down=None, up=None):
    """The CI, what depends on it and what it rests on, as nodes and edges for drawing and listing.

    Each side keeps its `node_limit` nearest CIs (the list says how many more there are); only CIs `user` may see are
    shown, and only relationships between shown CIs. `down` and `up` are the walks when the caller has them.
    """
    sides = {"down": dependants([ci.pk], max_depth) if down is None else down,
             "up": dependencies([ci.pk], max_depth) if up is None else up}
    visible = ConfigurationItem.objects.visible_to(user)
    totals, kept = {}, {ci.pk: ("self", 0)}
    for side, depths in sides.items():
        ids = set(visible.among(depths).values_list("pk", flat=True)) if depths else set()
        ordered = sorted(ids, key=lambda pk, d=depths: (d[pk], pk))
        totals[side] = len(ordered)
        for pk in ordered[:node_limit]:
            kept.setdefault(pk, (side, depths[pk]))
    items = ConfigurationItem.objects.filter(pk__in=list(kept)).select_related("ci_class").only(
        "pk", "name", "state", "organisation_id", "ci_class__name", "ci_class__code", "ci_class__colour",
        "ci_class__is_service",
    )
    nodes = []
    for item in items:
        side, depth = kept[item.pk]
        nodes.append({
            "id": item.pk, "name": item.name, "class": item.ci_class.name, "class_code": item.ci_class.code,
            "colour": item.ci_class.colour, "state": item.state, "state_label": str(item.get_state_display()),
            "is_service": item.ci_class.is_service, "side": side, "depth": depth,
        })
    nodes.sort(key=lambda n: ({"self": 0, "down": 1, "up": 2}[n["side"]], n["depth"], n["name"], n["id"]))
    ids = list(kept)
    edges = [
        {"id": rel.pk, "source": rel.source_id, "target": rel.target_id, "type": rel.type.code,
         "label": rel.type.forward_label, "propagates": rel.type.propagates_impact}
        for rel in Relationship.objects.filter(source_id__in=ids, target_id__in=ids).select_related("type")
    ]
    return {"nodes": nodes, "edges": edges, "totals": totals, "node_limit": node_limit,
            "max_depth": clamp_depth(max_depth)}
