"""Known errors through their services: the lifecycle (who may move them, illegal and stale changes refused), a
workaround before publishing, search in English and Chinese, and linking incidents (counted once each)."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from core.exceptions import Conflict, IllegalTransition, StaleVersion
from core.roles import Role, grant_role
from incidents import services as incident_services
from known_errors import services
from known_errors.choices import State
from known_errors.filtersets import KnownErrorFilterSet
from known_errors.models import KnownError
from known_errors.testing import make_known_error
from records.links import links_of
from records.models import RecordLink

pytestmark = pytest.mark.django_db


def test_an_agent_drafts_and_a_lead_publishes_retires_revises_and_republishes(cast):
    known_error = make_known_error(cast.agent)
    assert known_error.number.startswith("KE-") and known_error.state == State.DRAFT
    assert known_error.requester == cast.agent

    known_error = services.publish_known_error(known_error, actor=cast.lead, version=1)
    assert known_error.state == State.PUBLISHED and known_error.published_at and known_error.version == 2
    known_error = services.retire_known_error(known_error, actor=cast.lead, version=2)
    assert known_error.state == State.RETIRED
    known_error = services.republish_known_error(known_error, actor=cast.manager)
    assert known_error.state == State.PUBLISHED
    known_error = services.revise_known_error(known_error, actor=cast.admin)
    assert known_error.state == State.DRAFT


def test_agents_may_not_publish_and_end_users_may_not_write(cast):
    known_error = make_known_error(cast.agent)
    with pytest.raises(PermissionDenied):
        services.publish_known_error(known_error, actor=cast.agent)
    with pytest.raises(PermissionDenied):
        services.create_known_error(actor=cast.end_user, title="Mine")
    with pytest.raises(PermissionDenied):
        services.update_known_error(known_error, actor=cast.end_user, version=1, title="Changed")
    assert KnownError.objects.get(pk=known_error.pk).state == State.DRAFT


def test_illegal_transition_answers_409_with_the_allowed_actions(cast):
    known_error = make_known_error(cast.agent)
    with pytest.raises(IllegalTransition) as refused:
        services.retire_known_error(known_error, actor=cast.lead)
    assert refused.value.status_code == 409
    assert refused.value.extra["allowed"] == ["publish"]


def test_a_stale_version_is_refused_and_changes_nothing(cast):
    known_error = make_known_error(cast.agent)
    services.update_known_error(known_error, actor=cast.agent2, version=1, title="Jams on floor 3")
    with pytest.raises(StaleVersion):
        services.update_known_error(known_error, actor=cast.agent, version=1, title="Something else")
    with pytest.raises(StaleVersion):
        services.publish_known_error(known_error, actor=cast.lead, version=1)
    fresh = KnownError.objects.get(pk=known_error.pk)
    assert (fresh.title, fresh.state, fresh.version) == ("Jams on floor 3", State.DRAFT, 2)


def test_publishing_without_a_workaround_is_refused_naming_the_field(cast):
    known_error = make_known_error(cast.agent, workaround="  ")
    with pytest.raises(ValidationError) as refused:
        services.publish_known_error(known_error, actor=cast.lead)
    assert "workaround" in refused.value.message_dict
    assert KnownError.objects.get(pk=known_error.pk).state == State.DRAFT
    published = make_known_error(cast.agent, publish_as=cast.lead)
    with pytest.raises(ValidationError) as refused:
        services.update_known_error(published, actor=cast.agent, version=published.version, workaround="")
    assert "workaround" in refused.value.message_dict


def test_a_retired_known_error_is_revised_before_it_is_edited(cast):
    known_error = make_known_error(cast.agent, publish_as=cast.lead)
    known_error = services.retire_known_error(known_error, actor=cast.lead)
    with pytest.raises(Conflict) as refused:
        services.update_known_error(known_error, actor=cast.agent, version=known_error.version, title="New")
    assert refused.value.status_code == 409 and refused.value.extra["allowed"] == ["revise", "republish"]


def test_a_problem_manager_publishes_once_the_role_exists(cast, monkeypatch):
    """Before the problems app lands there is no such role; the table takes it as soon as Role names it."""
    if getattr(Role, "PROBLEM_MANAGER", None) is None:
        monkeypatch.setattr(Role, "PROBLEM_MANAGER", "problem_manager", raising=False)
    grant_role(cast.agent2, Role.PROBLEM_MANAGER)
    known_error = make_known_error(cast.agent)
    known_error = services.publish_known_error(known_error, actor=cast.agent2)
    assert known_error.state == State.PUBLISHED


def _search(user, text):
    filterset = KnownErrorFilterSet({"q": text}, queryset=KnownError.objects.visible_to(user))
    assert filterset.is_valid()
    return set(filterset.qs.values_list("number", flat=True))


def test_search_in_english_and_chinese(cast):
    printer = make_known_error(cast.agent, title="打印机卡纸", symptoms="三楼的打印机每次都卡纸",
                               workaround="使用手动进纸盒")
    vpn = make_known_error(cast.agent, title="VPN drops every hour", root_cause="The concentrator's lease expires",
                           workaround="Reconnect")
    assert _search(cast.agent, "打印") == {printer.number}  # a two-character word inside a longer one
    assert _search(cast.agent, "手动") == {printer.number}  # from the workaround
    assert _search(cast.agent, "concentrators") == {vpn.number}  # English stems, from the root cause
    assert _search(cast.agent, "drop") == {vpn.number}
    assert _search(cast.agent, vpn.number.lower()) == {vpn.number}
    assert _search(cast.agent, "打印 VPN") == set()  # every word must match
    assert _search(cast.end_user, "打印") == set()  # end users see no known error


def test_edits_are_searchable(cast):
    known_error = make_known_error(cast.agent, title="Mail slow")
    services.update_known_error(known_error, actor=cast.agent, version=1, workaround="清除缓存")
    assert _search(cast.agent, "缓存") == {known_error.number}


def test_linking_an_incident_is_counted_once(cast):
    incident = incident_services.create_incident(actor=cast.end_user, title="Printer jams")
    known_error = make_known_error(cast.agent, publish_as=cast.lead)
    assert services.link_to_incident(known_error, incident, actor=cast.agent) is True
    assert services.link_to_incident(known_error, incident, actor=cast.agent2) is False
    assert KnownError.objects.get(pk=known_error.pk).link_count == 1
    link = RecordLink.objects.get()
    assert (link.source_kind, link.link_type, link.target_kind) == ("incident", "caused_by", "known_error")
    other = incident_services.create_incident(actor=cast.colleague, title="Printer jams again")
    services.link_to_incident(known_error, other, actor=cast.agent)
    assert KnownError.objects.get(pk=known_error.pk).link_count == 2
    labels = [(str(label), record.number) for _link, label, record in links_of(known_error, cast.agent)]
    assert labels == [("Causes", incident.number), ("Causes", other.number)]


def test_only_published_known_errors_are_linked(cast):
    incident = incident_services.create_incident(actor=cast.end_user, title="Printer jams")
    draft = make_known_error(cast.agent)
    with pytest.raises(Conflict):
        services.link_to_incident(draft, incident, actor=cast.agent)
    with pytest.raises(PermissionDenied):
        services.link_to_incident(draft, incident, actor=cast.end_user)
    assert not RecordLink.objects.exists() and KnownError.objects.get(pk=draft.pk).link_count == 0


@pytest.mark.django_db(transaction=True)
def test_two_agents_linking_at_once_count_once(cast):
    incident = incident_services.create_incident(actor=cast.end_user, title="Printer jams")
    known_error = make_known_error(cast.agent, publish_as=cast.lead)
    barrier, results = threading.Barrier(2), []

    def link(actor):
        try:
            barrier.wait()
            results.append(services.link_to_incident(known_error, incident, actor=actor))
        finally:
            connection.close()

    threads = [threading.Thread(target=link, args=(a,)) for a in (cast.agent, cast.agent2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    assert KnownError.objects.get(pk=known_error.pk).link_count == 1


def test_the_demo_seeder_publishes_a_few_known_errors_once(cast):
    from known_errors import demo
    from tests.factories import ServiceFactory, UserFactory

    UserFactory(username="zhang.wei", role=Role.AGENT)
    UserFactory(username="wang.fang", role=Role.TEAM_LEAD)
    email = ServiceFactory(name=demo.SERVICE_NAMES["email"])
    demo.seed()
    demo.seed()
    assert KnownError.objects.count() == len(demo.KNOWN_ERRORS)
    assert set(KnownError.objects.values_list("state", flat=True)) == {State.PUBLISHED}
    assert KnownError.objects.filter(service=email).count() == 1
