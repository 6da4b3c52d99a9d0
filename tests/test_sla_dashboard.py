"""The managers' SLA dashboard: figures against a hand-computed fixture, period boundaries, permissions, CSV, API,
query count and languages. Clocks are built directly with known outcomes (the engine is tested elsewhere).

The fixture, period 2025-03-03 .. 2025-03-16 (two weeks, Asia/Shanghai), one incident per clock:

  #  metric      outcome                       at (local)         prio service  group          organisation
  1  response    met                           03-03 10:00        P1   E-mail   Service desk   Acme
  2  response    met                           03-04 10:00        P3   E-mail   Service desk   Acme
  3  response    breached, stopped later       03-05 10:00        P3   Network  Network        Globex
  4  resolution  met                           03-06 10:00        P1   E-mail   Service desk   Globex
  5  resolution  breached, still running       03-07 10:00        P1   Network  Service desk   Acme
  6  response    met (first instant of week 2) 03-10 00:00        P3   Network  Network        Acme
  7  resolution  met (last second of period)   03-16 23:59:59     P3   Network  Network        Globex
  8  resolution  breached, stopped (an OLA)    03-12 10:00        P3   E-mail   Service desk   Acme
  9  response    breached, paused              03-13 10:00        P1   —        —              —
 10  response    met just before the period    03-02 23:59:59     P3   E-mail   Service desk   Acme
 11  response    met at the (exclusive) end    03-17 00:00        P3   E-mail   Service desk   Acme
 12  resolution  breached 03-01, stopped 03-05  (breach outside)   P3   E-mail   Service desk   Acme
 13  resolution  running at 75 % (at risk)     —                  P3   E-mail   Service desk   Acme
 14  resolution  cancelled 03-08, never breached                   P3   E-mail   Service desk   Acme

Counted: response met 1 2 6, breached 3 9 → 60.0 %; resolution met 4 7, breached 5 8 → 50.0 %.
"""

import csv
import io
from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from incidents.choices import Priority
from sla.choices import AgreementKind, ClockState, Metric
from sla.dashboard.queries import Period, clocks_visible_to, compliance, dashboard_figures, visible_condition
from sla.models import SLAClock
from tests.factories import AssignmentGroupFactory, IncidentFactory, ServiceFactory
from tests.sla_helpers import at, make_agreement, make_calendar

URL = "/sla/dashboard/"
API = "/api/v1/sla/dashboard/"
CSV_URL = "/sla/dashboard/export.csv"
PERIOD = {"from": "2025-03-03", "to": "2025-03-16"}
R, S = Metric.RESPONSE, Metric.RESOLUTION


class Builder:
    """Makes clocks with a given outcome; every clock gets an incident of its own."""

    def __init__(self, cast):
        self.cast = cast
        calendar = make_calendar(cast.admin)
        self.sla = make_agreement(cast.admin, calendar, name="Customer SLA")
        self.ola = make_agreement(cast.admin, calendar, name="Desk OLA", kind=AgreementKind.OLA)

    def clock(self, metric, outcome, when=None, *, priority=Priority.P3, service=None, group=None, org=None,
              agreement=None, stopped=None, handled=0):
        agreement = agreement or self.sla
        incident = IncidentFactory(requester=self.cast.end_user, priority=priority, service=service,
                                   assignment_group=group, organisation=org)
        start = (when or at(2025, 3, 4, 8)) - timedelta(hours=6)
        fields = {"incident": incident, "sla": agreement, "metric": metric, "target": timedelta(hours=4),
                  "started_at": start, "sla_kind": agreement.kind, "priority": priority, "service": service,
                  "assignment_group": group, "organisation": org, "handled_percent": handled}
        if outcome == "met":
            fields.update(state=ClockState.STOPPED, met=True, stopped_at=when)
        elif outcome == "breached":  # `stopped`: None = still running, "paused", or the instant it stopped
            fields.update(breached=True, breached_at=when, handled_percent=100)
            if stopped == "paused":
                fields.update(state=ClockState.PAUSED, paused_at=when + timedelta(hours=1))
            elif stopped is None:
                fields.update(state=ClockState.RUNNING, segment_started_at=start, next_check_at=None,
                              due_at=when)
            else:
                fields.update(state=ClockState.STOPPED, stopped_at=stopped)
        elif outcome == "running":
            fields.update(state=ClockState.RUNNING, segment_started_at=start,
                          due_at=timezone.now() + timedelta(hours=1))
        elif outcome == "cancelled":
            fields.update(state=ClockState.CANCELLED, stopped_at=when)
        return SLAClock.objects.create(**fields)


@pytest.fixture
def shanghai(settings):
    settings.TIME_ZONE = "Asia/Shanghai"


@pytest.fixture
def world(cast, shanghai):
    b = Builder(cast)
    mail, net = cast.service, ServiceFactory(name="Network access")
    desk, network = cast.group, cast.other_group
    acme, globex = cast.org, cast.other_org
    common = {"service": mail, "group": desk, "org": acme}
    b.clock(R, "met", at(2025, 3, 3, 10), priority=Priority.P1, **common)  # 1
    b.clock(R, "met", at(2025, 3, 4, 10), **common)  # 2
    b.clock(R, "breached", at(2025, 3, 5, 10), stopped=at(2025, 3, 5, 12), service=net, group=network,
            org=globex)  # 3
    b.clock(S, "met", at(2025, 3, 6, 10), priority=Priority.P1, service=mail, group=desk, org=globex)  # 4
    b.clock(S, "breached", at(2025, 3, 7, 10), priority=Priority.P1, service=net, group=desk, org=acme)  # 5
    b.clock(R, "met", at(2025, 3, 10, 0), service=net, group=network, org=acme)  # 6
    b.clock(S, "met", at(2025, 3, 16, 23, 59, 59), service=net, group=network, org=globex)  # 7
    b.clock(S, "breached", at(2025, 3, 12, 10), stopped=at(2025, 3, 13, 9), agreement=b.ola, **common)  # 8
    b.clock(R, "breached", at(2025, 3, 13, 10), stopped="paused", priority=Priority.P1)  # 9
    b.clock(R, "met", at(2025, 3, 2, 23, 59, 59), **common)  # 10
    b.clock(R, "met", at(2025, 3, 17, 0), **common)  # 11
    b.clock(S, "breached", at(2025, 3, 1, 10), stopped=at(2025, 3, 5, 10), **common)  # 12
    b.clock(S, "running", handled=75, **common)  # 13
    b.clock(S, "cancelled", at(2025, 3, 8, 10), **common)  # 14
    b.net, b.network = net, network
    return b


def figures_for(user, **filters):
    return dashboard_figures(visible_condition(user) & Q(**filters), Period(date(2025, 3, 3), date(2025, 3, 16)))


def pct(figure):
    return figure["met"], figure["breached"], figure["compliance"]


def test_averages_are_the_business_time_to_the_milestone_of_the_clocks_that_reached_it(cast, shanghai, client):
    b = Builder(cast)
    for minutes, outcome in ((30, "met"), (60, "met"), (150, "late")):  # 4 h target; stopped within it or not
        clock = b.clock(R, "met" if outcome == "met" else "breached", at(2025, 3, 4, 10),
                        stopped=None if outcome == "met" else at(2025, 3, 4, 12))
        SLAClock.objects.filter(pk=clock.pk).update(business_elapsed=timedelta(minutes=minutes))
    b.clock(R, "breached", at(2025, 3, 5, 10))  # still running: reached nothing, not in the average
    b.clock(S, "met", at(2025, 3, 20, 10))  # outside the period
    figures = figures_for(cast.manager)
    assert figures["totals"]["response"]["reached"] == 3
    assert figures["totals"]["response"]["average_seconds"] == 80 * 60  # (30 + 60 + 150) / 3 minutes
    assert figures["totals"]["resolution"]["average_seconds"] is None
    client.force_login(cast.manager)
    page = client.get(URL, PERIOD).content.decode()
    assert 'data-testid="average-response">on average 1 h 20 min of business time<' in page
    assert 'data-testid="average-resolution"' not in page
    assert 'class="small text-success" data-testid="goal-response">goal: under 4 h<' in page  # 001 §6.2's 4 h
    data = client.get(API, PERIOD).json()
    assert data["totals"]["response"]["average_seconds"] == 4800
    assert data["average_goals"] == {"response": 4 * 3600, "resolution": 24 * 3600}


def rows(figures, dimension):
    return {row["label"]: (pct(row["response"]), pct(row["resolution"])) for row in figures["breakdowns"][dimension]}


def test_compliance_is_none_when_nothing_counted():
    assert compliance(0, 0) is None
    assert compliance(2, 1) == 66.7
    assert compliance(0, 3) == 0.0


def test_totals_and_breakdowns_match_the_hand_computed_figures(world):
    figures = figures_for(world.cast.manager)
    assert pct(figures["totals"]["response"]) == (3, 2, 60.0)
    assert pct(figures["totals"]["resolution"]) == (2, 2, 50.0)
    assert rows(figures, "priority") == {
        "P1 Urgent": ((1, 1, 50.0), (1, 1, 50.0)),
        "P3 General": ((2, 1, 66.7), (1, 1, 50.0)),
    }
    assert rows(figures, "service") == {
        "E-mail": ((2, 0, 100.0), (1, 1, 50.0)),
        "Network access": ((1, 1, 50.0), (1, 1, 50.0)),
        "No service": ((0, 1, 0.0), (0, 0, None)),
    }
    assert rows(figures, "assignment_group") == {
        "Service desk": ((2, 0, 100.0), (1, 2, 33.3)),
        "Network": ((1, 1, 50.0), (1, 0, 100.0)),
        "No group": ((0, 1, 0.0), (0, 0, None)),
    }
    assert rows(figures, "organisation") == {
        "Acme": ((3, 0, 100.0), (0, 2, 0.0)),
        "Globex": ((0, 1, 0.0), (2, 0, 100.0)),
        "No organisation": ((0, 1, 0.0), (0, 0, None)),
    }
    assert [(row["week"], pct(row["response"]), pct(row["resolution"])) for row in figures["trend"]] == [
        (date(2025, 3, 3), (2, 1, 66.7), (1, 1, 50.0)),
        (date(2025, 3, 10), (1, 1, 50.0), (1, 1, 50.0)),
    ]


def test_now_lists_breached_open_and_at_risk_clocks(world):
    now = figures_for(world.cast.manager)["now"]
    assert (now["breached_count"], now["at_risk_count"]) == (2, 1)
    assert [c.breached_at for c in now["breached"]] == [at(2025, 3, 7, 10), at(2025, 3, 13, 10)]
    assert [c.handled_percent for c in now["at_risk"]] == [75]


def test_filters_narrow_every_figure(world, client):
    ola = figures_for(world.cast.manager, sla_kind=AgreementKind.OLA)
    assert pct(ola["totals"]["response"]) == (0, 0, None)
    assert pct(ola["totals"]["resolution"]) == (0, 1, 0.0)
    client.force_login(world.cast.manager)
    data = client.get(API, {**PERIOD, "service": world.net.pk, "group": world.network.pk}).json()
    assert pct(data["totals"]["response"]) == (1, 1, 50.0)
    assert pct(data["totals"]["resolution"]) == (1, 0, 100.0)
    data = client.get(API, {**PERIOD, "organisation": world.cast.other_org.pk, "kind": "sla"}).json()
    assert pct(data["totals"]["resolution"]) == (2, 0, 100.0)


def test_empty_period_shows_dashes_not_a_division_by_zero(world, client):
    client.force_login(world.cast.manager)
    response = client.get(URL, {"from": "2024-01-01", "to": "2024-01-31"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="total-response">—<' in html
    assert 'data-testid="total-resolution">—<' in html
    data = client.get(API, {"from": "2024-01-01", "to": "2024-01-31"}).json()
    assert pct(data["totals"]["response"]) == (0, 0, None)
    assert all(row["response"]["compliance"] is None for row in data["trend"])
    assert len(data["trend"]) == 5  # the weeks of 2024-01-01 .. 01-29


def test_period_boundaries_are_whole_local_days(world):
    one_day = dashboard_figures(Q(), Period(date(2025, 3, 16), date(2025, 3, 16)))
    assert pct(one_day["totals"]["resolution"]) == (1, 0, 100.0)  # #7 at 23:59:59 is in
    next_day = dashboard_figures(Q(), Period(date(2025, 3, 17), date(2025, 3, 17)))
    assert pct(next_day["totals"]["response"]) == (1, 0, 100.0)  # #11 at 00:00 belongs to the next day
    before = dashboard_figures(Q(), Period(date(2025, 3, 2), date(2025, 3, 2)))
    assert pct(before["totals"]["response"]) == (1, 0, 100.0)  # #10
    march_1 = dashboard_figures(Q(), Period(date(2025, 3, 1), date(2025, 3, 1)))
    assert pct(march_1["totals"]["resolution"]) == (0, 1, 0.0)  # #12 counts at its breach, not at its stop


def test_presets_count_back_from_today(cast, shanghai, client):
    b = Builder(cast)
    now = timezone.now()
    b.clock(R, "met", now - timedelta(days=3), group=cast.group)
    b.clock(R, "met", now - timedelta(days=20), group=cast.group)
    b.clock(R, "breached", now - timedelta(days=60), stopped=now - timedelta(days=59), group=cast.group)
    client.force_login(cast.manager)
    expected = {"7": (1, 0), "30": (2, 0), "90": (2, 1), "": (2, 0)}  # no period = the last 30 days
    for preset, (met, breached) in expected.items():
        data = client.get(API, {"period": preset} if preset else {}).json()
        assert (data["totals"]["response"]["met"], data["totals"]["response"]["breached"]) == (met, breached)
    data = client.get(API, {"period": "7"}).json()
    today = timezone.localdate()
    assert (data["period"]["from"], data["period"]["to"]) == ((today - timedelta(days=6)).isoformat(),
                                                              today.isoformat())


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2025-03-10", "to": "2025-03-01"}, "to"),
    ({"from": "2025-03-10"}, "to"),
    ({"to": "2025-03-10"}, "from"),
    ({"period": "custom"}, "from"),
    ({"from": "yesterday", "to": "2025-03-10"}, "from"),
    ({"from": "2020-01-01", "to": "2025-01-01"}, "to"),
    ({"period": "45"}, "period"),
    ({"kind": "nonsense"}, "kind"),
    ({"service": "999999"}, "service"),
])
def test_bad_input_is_refused_naming_the_field(cast, client, params, field):
    client.force_login(cast.manager)
    response = client.get(API, params)
    assert response.status_code == 400
    assert field in response.json()
    page = client.get(URL, params)
    assert page.status_code == 200
    assert f'data-testid="error-{field}"' in page.content.decode()
    assert client.get(CSV_URL, params).status_code == 400


def test_a_lead_sees_only_the_groups_they_lead(world, client):
    lead = world.cast.lead  # leads "Service desk": clocks 1 2 4 5 8 (counted), 13 (at risk)
    figures = figures_for(lead)
    assert pct(figures["totals"]["response"]) == (2, 0, 100.0)
    assert pct(figures["totals"]["resolution"]) == (1, 2, 33.3)
    assert set(rows(figures, "assignment_group")) == {"Service desk"}
    assert (figures["now"]["breached_count"], figures["now"]["at_risk_count"]) == (1, 1)
    client.force_login(lead)
    # Filtering by a group they do not lead is refused, not answered with another group's figures.
    assert client.get(API, {**PERIOD, "group": world.network.pk}).status_code == 400
    data = client.get(API, PERIOD).json()
    assert [row["label"] for row in data["breakdowns"]["assignment_group"]] == ["Service desk"]
    page = client.get(URL, PERIOD).content.decode()
    assert "Network</option>" not in page


def test_a_lead_of_no_group_sees_nothing_and_a_manager_everything(world):
    AssignmentGroupFactory(name="Orphans")
    assert not clocks_visible_to(world.cast.lead).filter(assignment_group=world.network).exists()
    assert clocks_visible_to(world.cast.manager).count() == clocks_visible_to(world.cast.admin).count() == 14
    world.cast.group.lead = None
    world.cast.group.save()
    assert clocks_visible_to(world.cast.lead).count() == 0


@pytest.mark.parametrize("who", ["agent", "end_user"])
def test_agents_and_end_users_are_refused(cast, client, who):
    client.force_login(getattr(cast, who))
    assert client.get(URL).status_code == 403
    assert client.get(CSV_URL).status_code == 403
    assert client.get(API).status_code == 403


def test_anonymous_is_sent_to_log_in_or_told_401(db, client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.get(CSV_URL).status_code == 302
    assert client.get(API).status_code == 401


def test_nav_link_only_for_leads_and_above(cast, client):
    for user, shown in ((cast.agent, False), (cast.lead, True), (cast.manager, True), (cast.admin, True)):
        client.force_login(user)
        assert (URL in client.get("/desk/incidents/").content.decode()) is shown, user


def test_page_shows_the_figures_charts_and_links(world, client):
    client.force_login(world.cast.manager)
    response = client.get(URL, PERIOD)
    html = response.content.decode()
    assert 'data-testid="total-response">60.0 %<' in html
    assert 'data-testid="total-resolution">50.0 %<' in html
    assert 'data-testid="breached-now">2<' in html
    assert 'data-testid="at-risk-now">1<' in html
    assert 'id="sla-dashboard-charts"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert "cdn" not in html.lower()
    charts = response.context["charts"]
    assert charts["trend"]["labels"] == ["2025-03-03", "2025-03-10"]
    assert charts["trend"]["response"] == [66.7, 50.0]
    for clock in response.context["figures"]["now"]["breached"]:
        assert reverse("incidents:detail", args=[clock.incident.number]) in html
    assert "export.csv?from=2025-03-03&amp;to=2025-03-16" in html


def test_csv_holds_the_same_figures(world, client):
    client.force_login(world.cast.manager)
    response = client.get(CSV_URL, {**PERIOD, "kind": "sla"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="sla-dashboard-2025-03-03-2025-03-16.csv"' in response["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(table[0]) == 15  # section, key, label; met, breached, %, average of response, update, resolution
    by_key = {(row[0], row[2]): row[3:] for row in table[1:]}
    no_updates = ["0", "0", "", ""]  # the fixture has no progress-update clocks
    # the OLA clock #8 is filtered out: resolution 2 met, 1 breached; the fixture's stopped clocks used no time
    assert by_key[("total", "2025-03-03 to 2025-03-16")] == ["3", "2", "60.0", "0.0", *no_updates,
                                                              "2", "1", "66.7", "0.0"]
    assert by_key[("priority", "P3 General")] == ["2", "1", "66.7", "0.0", *no_updates, "1", "0", "100.0", "0.0"]
    assert by_key[("service", "No service")] == ["0", "1", "0.0", "", *no_updates, "0", "0", "", ""]
    assert by_key[("week", "Week of 2025-03-10")] == ["1", "1", "50.0", "0.0", *no_updates, "1", "0", "100.0", "0.0"]
    assert {row[0] for row in table[1:]} == {"total", "service", "priority", "assignment_group", "organisation",
                                              "week"}


def test_api_shape(world, client):
    client.force_login(world.cast.manager)
    data = client.get(API, PERIOD).json()
    assert set(data) == {"period", "totals", "average_goals", "breakdowns", "trend", "now"}
    assert data["period"]["from"] == "2025-03-03" and data["period"]["to"] == "2025-03-16"
    assert data["period"]["start"].startswith("2025-03-03T00:00:00")
    assert set(data["breakdowns"]) == {"service", "priority", "assignment_group", "organisation"}
    priority_row = data["breakdowns"]["priority"][0]
    assert priority_row == {
        "key": 1, "label": "P1 Urgent",
        "response": {"met": 1, "breached": 1, "compliance": 50.0, "reached": 1, "average_seconds": 0},
        "update": {"met": 0, "breached": 0, "compliance": None, "reached": 0, "average_seconds": None},
        "resolution": {"met": 1, "breached": 1, "compliance": 50.0, "reached": 1, "average_seconds": 0},
    }
    assert data["trend"][0]["week"] == "2025-03-03"
    breached = data["now"]["breached"][0]
    assert set(breached) == {"incident", "title", "url", "metric", "priority", "assignment_group", "service",
                             "due_at", "breached_at", "handled_percent"}
    assert breached["url"] == f"/desk/incidents/{breached['incident']}/"
    assert data["now"]["breached_count"] == 2


def test_openapi_documents_the_dashboard(db, client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/sla/dashboard/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"period", "from", "to", "kind", "service", "group",
                                                            "organisation"}
    assert {"200", "400", "401", "403"} <= set(operation["responses"])


def _queries(client, params):
    with CaptureQueriesContext(connection) as context:
        assert client.get(URL, params).status_code == 200
    return len(context.captured_queries)


def test_query_count_does_not_grow_with_the_data(world, client):
    client.force_login(world.cast.manager)
    before = _queries(client, PERIOD)
    for n in range(6):  # more groups, services, breaches and at-risk clocks: more rows everywhere
        group = AssignmentGroupFactory(name=f"Extra {n}")
        service = ServiceFactory(name=f"Extra service {n}")
        world.clock(R, "breached", at(2025, 3, 5 + n, 9), group=group, service=service)
        world.clock(S, "running", handled=90, group=group, service=service)
    assert _queries(client, PERIOD) == before
    # session, user, roles; 4 breakdowns and the trend (met and breached parts each), now (2 counts, 2 lists);
    # 3 filter choice lists (2 each)
    assert before <= 23


def test_both_languages_render(world, client):
    world.cast.manager.language = "zh-hans"
    world.cast.manager.save()
    client.force_login(world.cast.manager)
    html = client.get(URL, PERIOD).content.decode()
    assert '<html lang="zh-hans">' in html
    with translation.override("zh-hans"):
        for text in ("SLA dashboard", "Compliance by week", "Breached now", "At risk now"):
            assert translation.gettext(text) in html
    world.cast.manager.language = "en"
    world.cast.manager.save()
    html = client.get(URL, PERIOD).content.decode()
    assert '<html lang="en">' in html and "Compliance by week" in html
