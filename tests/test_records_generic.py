"""The records framework's generic pages (records.views.RecordPages) and API base (records.api.views.RecordViewSet),
declared for a real registered kind — known errors — the way a new practice app would declare them, and mounted on a
URLconf of this module beside the portal's own. What they must give every kind: reads only through `visible_to`
(404 otherwise), filters and search, actions through the kind's services with the table's 409s and a stale version's
409, and no DELETE."""

import pytest
from django.urls import include, path
from rest_framework.routers import SimpleRouter

from itsm.urls import urlpatterns as portal_urlpatterns
from known_errors import services
from known_errors.choices import State
from known_errors.models import KnownError
from known_errors.testing import make_known_error
from known_errors.workflow import WORKFLOW
from records.api.serializers import RECORD_FIELDS, RecordSerializer, action_serializer_for
from records.api.views import RecordViewSet
from records.filtersets import RecordFilterSet
from records.views import RecordPages
from tests.api_mixins import api_client

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


# --- what a practice app declares -------------------------------------------------------------------------------
class KnownErrorFilters(RecordFilterSet):
    class Meta(RecordFilterSet.Meta):
        model = KnownError


def _act(known_error, action, *, actor, version=None, comment=""):
    return services.ACTIONS[action](known_error, actor=actor, version=version)


class KnownErrorPages(RecordPages):
    model = KnownError
    filterset_class = KnownErrorFilters
    columns = [("number", "Number"), ("title", "Title"), ("state", "State")]
    select_related = ("requester",)
    actions = {action: (service, None) for action, service in services.ACTIONS.items()}


class KnownErrorSerializer(RecordSerializer):
    class Meta:
        model = KnownError
        fields = [*RECORD_FIELDS, "workaround"]


class KnownErrorViewSet(RecordViewSet):
    queryset = KnownError.objects.select_related("requester", "organisation", "assignment_group", "assignee")
    serializer_class = KnownErrorSerializer
    filterset_class = KnownErrorFilters
    action_serializer_class = action_serializer_for("known_error", WORKFLOW)
    action_service = staticmethod(_act)


pages = KnownErrorPages("generic")
router = SimpleRouter()
router.register("generic-known-errors", KnownErrorViewSet, basename="generic-known-error")
urlpatterns = [
    path("generic/", include((pages.urls(), "generic"))),
    path("api/generic/", include(router.urls)),
    *portal_urlpatterns,
]


@pytest.fixture
def records(cast):
    published = make_known_error(cast.agent, title="打印机卡纸 printer jams", publish_as=cast.lead)
    draft = make_known_error(cast.agent, title="VPN drops every hour", workaround="")
    return published, draft


# --- pages ------------------------------------------------------------------------------------------------------
def test_the_list_filters_searches_and_answers_htmx_with_the_table_only(cast, records, as_user):
    published, draft = records
    client = as_user(cast.agent)
    page = client.get("/generic/").content.decode()
    assert published.number in page and draft.number in page and 'data-testid="record-filters"' in page

    only_published = client.get("/generic/", {"state": State.PUBLISHED}).content.decode()
    assert published.number in only_published and draft.number not in only_published
    found = client.get("/generic/", {"q": "打印"}).content.decode()  # a two-character Chinese word
    assert published.number in found and draft.number not in found

    partial = client.get("/generic/", {"q": "VPN"}, HTTP_HX_REQUEST="true").content.decode()
    assert draft.number in partial and "<html" not in partial and published.number not in partial


def test_a_bad_filter_is_named_and_shows_nothing(cast, records, as_user):
    response = as_user(cast.agent).get("/generic/", {"state": "on_fire"})
    assert response.status_code == 400
    assert 'data-testid="filter-errors"' in response.content.decode()
    assert records[0].number not in response.content.decode()


def test_pages_follow_the_kinds_visibility(cast, records, as_user):
    assert as_user(cast.end_user).get("/generic/").status_code == 403  # the desk is for staff
    assert as_user(cast.agent).get("/generic/KE-999999/").status_code == 404


def test_detail_offers_what_the_table_allows_and_actions_go_through_the_services(cast, records, as_user):
    published, draft = records
    lead = as_user(cast.lead)
    page = lead.get(f"/generic/{draft.number.lower()}/").content.decode()  # any spelling of the number
    assert 'data-testid="action-publish"' in page and 'data-testid="action-retire"' not in page

    refused = lead.post(f"/generic/{draft.number}/action/", {"action": "publish", "version": draft.version})
    assert refused.status_code == 400  # no workaround: the service refuses, nothing changes
    assert KnownError.objects.get(pk=draft.pk).state == State.DRAFT

    stale = lead.post(f"/generic/{published.number}/action/", {"action": "retire", "version": published.version - 1})
    assert stale.status_code == 409 and KnownError.objects.get(pk=published.pk).state == State.PUBLISHED

    done = lead.post(f"/generic/{published.number}/action/", {"action": "retire", "version": published.version})
    assert done.status_code == 302 and KnownError.objects.get(pk=published.pk).state == State.RETIRED

    agent_page = as_user(cast.agent).get(f"/generic/{draft.number}/").content.decode()
    assert 'data-testid="action-publish"' not in agent_page  # agents write drafts; leads publish


# --- API --------------------------------------------------------------------------------------------------------
def test_the_api_reads_through_visibility_and_acts_through_the_services(cast, records):
    published, draft = records
    agent, lead = api_client(cast.agent), api_client(cast.lead)
    listed = agent.get("/api/generic/generic-known-errors/", {"state": State.PUBLISHED}).json()
    assert [row["number"] for row in listed["results"]] == [published.number]

    one = lead.get(f"/api/generic/generic-known-errors/{draft.number.lower()}/").json()
    assert (one["number"], one["allowed_actions"]) == (draft.number, ["publish"])
    assert api_client(cast.end_user).get(f"/api/generic/generic-known-errors/{draft.number}/").status_code == 404

    illegal = lead.post(f"/api/generic/generic-known-errors/{published.number}/actions/", {"action": "publish"},
                        format="json")
    assert illegal.status_code == 409 and illegal.json()["allowed"] == WORKFLOW.legal_from(State.PUBLISHED)
    assert "publish" not in illegal.json()["allowed"] and "retire" in illegal.json()["allowed"]
    stale = lead.post(f"/api/generic/generic-known-errors/{published.number}/actions/",
                      {"action": "retire", "version": published.version + 5}, format="json")
    assert stale.status_code == 409
    retired = lead.post(f"/api/generic/generic-known-errors/{published.number}/actions/",
                        {"action": "retire", "version": published.version}, format="json")
    assert retired.status_code == 200 and retired.json()["state"] == State.RETIRED
    unknown = lead.post(f"/api/generic/generic-known-errors/{draft.number}/actions/", {"action": "explode"},
                        format="json")
    assert unknown.status_code == 400 and "action" in unknown.json()

    assert lead.delete(f"/api/generic/generic-known-errors/{draft.number}/").status_code == 405
    assert KnownError.objects.count() == 2


def test_links_and_timeline_are_read_through_the_readers_visibility(cast, records):
    from incidents import services as incident_services
    from records.links import add_link
    from records.models import LinkType

    published, _draft = records
    incident = incident_services.create_incident(actor=cast.end_user, title="Printer jams again")
    other = incident_services.create_incident(actor=cast.colleague, title="Someone else's")
    add_link(incident, LinkType.CAUSED_BY, published, actor=cast.agent)
    add_link(other, LinkType.CAUSED_BY, published, actor=cast.agent)
    links = api_client(cast.agent).get(f"/api/generic/generic-known-errors/{published.number}/links/").json()
    assert sorted(link["number"] for link in links) == sorted([incident.number, other.number])
    assert {link["label"] for link in links} == {"Causes"}
