"""Impact analysis on hand-built graphs: chains, diamonds, cycles, depth bounds, non-propagating links, services.

"A>B" means A depends on B (A is the source of a propagating link to B), so a failure of B hits A.
"""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cmdb import graph
from cmdb.choices import Lifecycle
from cmdb.testing import build_graph, link, make_ci, make_class, make_type
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def node():
    return make_class("node")


@pytest.fixture
def depends():
    return make_type("depends_on", forward="depends on", reverse="is depended on by")


def ids(items, *names):
    return {items[name].pk for name in names}


def named(items, depths):
    by_id = {ci.pk: name for name, ci in items.items()}
    return {by_id[pk]: depth for pk, depth in depths.items()}


def test_chain_both_directions(node, depends):
    g = build_graph(node, depends, ["A>B", "B>C", "C>D"])
    assert named(g, graph.dependants([g["D"].pk])) == {"C": 1, "B": 2, "A": 3}
    assert named(g, graph.dependencies([g["A"].pk])) == {"B": 1, "C": 2, "D": 3}
    assert named(g, graph.dependants([g["B"].pk])) == {"A": 1}
    assert graph.dependants([g["A"].pk]) == {}
    assert graph.dependencies([g["D"].pk]) == {}


def test_diamond_reports_each_ci_once_at_its_nearest_depth(node, depends):
    g = build_graph(node, depends, ["A>B", "A>C", "B>D", "C>D", "E>A", "E>D"])
    assert named(g, graph.dependants([g["D"].pk])) == {"B": 1, "C": 1, "E": 1, "A": 2}
    assert named(g, graph.dependencies([g["E"].pk])) == {"A": 1, "D": 1, "B": 2, "C": 2}


def test_cycle_terminates_and_excludes_the_start(node, depends):
    g = build_graph(node, depends, ["A>B", "B>C", "C>A", "C>D", "X>A"])
    assert named(g, graph.dependants([g["D"].pk])) == {"C": 1, "B": 2, "A": 3, "X": 4}
    assert named(g, graph.dependants([g["A"].pk])) == {"C": 1, "B": 2, "X": 1}
    assert named(g, graph.dependencies([g["A"].pk])) == {"B": 1, "C": 2, "D": 3}
    two = build_graph(node, depends, ["P>Q", "Q>P"])
    assert named(two, graph.dependants([two["P"].pk])) == {"Q": 1}


def test_several_starting_cis(node, depends):
    g = build_graph(node, depends, ["A>B", "B>C", "D>E", "B>E"])
    assert named(g, graph.dependants(ids(g, "C", "E"))) == {"B": 1, "D": 1, "A": 2}
    # a starting CI is never reported as its own dependant, even when another start depends on it
    assert named(g, graph.dependants(ids(g, "B", "C"))) == {"A": 1}


def test_depth_bound_on_a_deep_chain(node, depends, settings):
    chain = [make_ci(node, f"n{i:02d}") for i in range(60)]
    for upper, lower in zip(chain, chain[1:], strict=False):
        link(upper, lower, depends)
    bottom = chain[-1].pk
    settings.CMDB_IMPACT_MAX_DEPTH = 10
    assert graph.dependants([bottom]) == {chain[-1 - d].pk: d for d in range(1, 11)}
    assert len(graph.dependants([bottom], max_depth=3)) == 3
    assert graph.dependants([bottom], max_depth=50) == {chain[59 - d].pk: d for d in range(1, 51)}
    assert len(graph.dependants([bottom], max_depth=1000)) == graph.DEPTH_LIMIT == 50
    assert graph.dependants([bottom], max_depth=0) == {chain[58].pk: 1}  # at least one step


def test_links_that_do_not_propagate_impact_are_not_followed(node, depends):
    backup = make_type("backed_up_by", forward="is backed up by", reverse="backs up", propagates=False)
    g = build_graph(node, depends, ["A>B"])
    tape = make_ci(node, "tape")
    link(g["B"], tape, backup)
    assert graph.dependants([tape.pk]) == {}
    assert graph.dependencies([g["A"].pk]) == {g["B"].pk: 1}


def test_redundant_lattice_is_not_path_exponential(node, depends):
    """20 levels of two mutually redundant CIs: 2**20 paths to the bottom, 40 dependants."""
    levels = [[make_ci(node, f"L{level}{side}") for side in "ab"] for level in range(21)]
    for upper, lower in zip(levels, levels[1:], strict=False):
        for source in upper:
            for target in lower:
                link(source, target, depends)
    started = time.monotonic()
    found = graph.dependants([levels[-1][0].pk], max_depth=30)
    assert time.monotonic() - started < 2
    assert found == {ci.pk: 20 - level for level, pair in enumerate(levels[:-1]) for ci in pair}


def test_impact_is_one_query(node, depends):
    g = build_graph(node, depends, ["A>B", "B>C"])
    with CaptureQueriesContext(connection) as queries:
        graph.dependants([g["C"].pk])
    assert len(queries) == 1 and "WITH RECURSIVE" in queries[0]["sql"]


def test_affected_services_and_their_organisations(depends):
    hq, branch = OrganisationFactory(name="HQ"), OrganisationFactory(name="Branch")
    UserFactory.create_batch(3, organisation=hq)
    UserFactory(organisation=branch)
    UserFactory(organisation=branch, is_active=False)
    server, app = make_class("server"), make_class("application")
    service = make_class("business_service", is_service=True)
    host = make_ci(server, "srv-01")
    erp = make_ci(app, "ERP")
    mail = make_ci(app, "Mail")
    finance = make_ci(service, "Finance", organisation=hq)
    messaging = make_ci(service, "Messaging", organisation=branch)
    old = make_ci(service, "Old portal", organisation=branch, state=Lifecycle.RETIRED)
    for source, target in ((erp, host), (mail, host), (finance, erp), (messaging, mail), (old, erp)):
        link(source, target, depends)

    result = graph.affected_services([host.pk])
    assert [(s.name, s.impact_depth) for s in result.services] == [("Finance", 2), ("Messaging", 2)]
    assert [o.name for o in result.organisations] == ["Branch", "HQ"]
    assert result.user_count == 4
    assert graph.affected_services([finance.pk]).service_ids == [finance.pk]  # a service given is itself hit
    assert graph.affected_services([]).services == []
    unrelated = make_ci(server, "srv-99")
    assert graph.affected_services([unrelated.pk]).services == []


def test_would_create_cycle_follows_only_the_same_type(node, depends):
    g = build_graph(node, depends, ["A>B", "B>C"])
    other = make_type("connects_to", propagates=False)
    assert graph.would_create_cycle(g["C"].pk, g["A"].pk, depends.pk)
    assert not graph.would_create_cycle(g["A"].pk, g["C"].pk, depends.pk)
    assert not graph.would_create_cycle(g["C"].pk, g["A"].pk, other.pk)
    assert graph.would_create_cycle(g["A"].pk, g["A"].pk, depends.pk)
