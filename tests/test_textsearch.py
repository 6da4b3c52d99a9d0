"""Text search in English and Chinese, through the filterset the queue page and the API share."""

import pytest
from django.test import RequestFactory

from core.textsearch import cjk_tokens, search_query
from incidents import services
from incidents.filtersets import IncidentFilterSet
from incidents.models import Incident


def found(user, text):
    """Numbers of the incidents `user` finds for `text`, the way the queue and the API ask."""
    request = RequestFactory().get("/", {"q": text})
    request.user = user
    filterset = IncidentFilterSet(request.GET, queryset=Incident.objects.visible_to(user), request=request)
    assert filterset.is_valid(), filterset.errors
    return sorted(filterset.qs.values_list("number", flat=True))


@pytest.fixture
def printer(cast):
    return services.create_incident(actor=cast.end_user, title="The printers on floor 3 are jammed",
                                    description="Paper keeps folding in tray two.")


@pytest.fixture
def chinese(cast):
    return services.create_incident(actor=cast.end_user, title="打印机坏了", description="三楼的打印机无法使用")


def test_cjk_tokens_are_characters_and_bigrams():
    assert cjk_tokens("打印机 ok 坏了") == ["打", "印", "机", "打印", "印机", "坏", "了", "坏了"]
    assert cjk_tokens("plain English") == []


def test_nothing_searchable_matches_nothing(cast, printer):
    assert search_query("!!! ---") is None
    assert found(cast.agent, "!!! ---") == []


@pytest.mark.parametrize("text", ["printer", "printers", "PRINTER JAMMED", "jam", "folding tray"])
def test_english_words_are_stemmed(cast, printer, chinese, text):
    assert found(cast.agent, text) == [printer.number]


def test_every_word_must_match(cast, printer):
    assert found(cast.agent, "printer keyboard") == []


@pytest.mark.parametrize("text", ["打印", "打印机", "坏了", "打印机坏了", "打"])
def test_chinese_words_are_found_inside_longer_text(cast, printer, chinese, text):
    assert found(cast.agent, text) == [chinese.number]


def test_chinese_query_that_spans_no_stored_bigram_misses(cast, chinese):
    assert found(cast.agent, "机打") == []


def test_mixed_chinese_and_english(cast, chinese):
    services.add_comment(chinese, actor=cast.agent, body="HP LaserJet 卡纸")
    assert found(cast.agent, "laserjet 卡纸") == [chinese.number]
    assert found(cast.agent, "laserjet 打印") == [chinese.number]
    assert found(cast.agent, "laserjet 邮件") == []


def test_search_by_number(cast, printer, chinese):
    digits = str(int(printer.number[4:]))
    assert found(cast.agent, printer.number.lower()) == [printer.number]
    assert found(cast.agent, digits) == [printer.number]


def test_words_of_a_public_reply_are_found_by_everyone_who_sees_the_incident(cast, printer):
    services.add_comment(printer, actor=cast.agent, body="Replaced the fuser assembly, 更换了定影器")
    for user in (cast.agent, cast.end_user):
        assert found(user, "fuser") == [printer.number]
        assert found(user, "定影") == [printer.number]
    assert found(cast.outsider, "fuser") == []  # search never widens what a person may see


def test_words_of_an_internal_note_are_found_by_staff_only(cast, printer):
    services.add_comment(printer, actor=cast.agent, body="Vendor ticket VX-hotline, 供应商工单", internal=True)
    for staff_member in (cast.agent, cast.lead, cast.manager):
        assert found(staff_member, "hotline") == [printer.number]
        assert found(staff_member, "供应商") == [printer.number]
    assert found(cast.end_user, "hotline") == []
    assert found(cast.end_user, "供应商") == []


def test_search_vector_follows_a_title_change(cast, printer):
    services.update_incident(printer, actor=cast.agent, version=printer.version, title="Scanner offline")
    assert found(cast.agent, "scanner") == [printer.number]
    assert found(cast.agent, "printers") == []


def test_search_query_works_on_the_stored_vector_directly(cast, printer, chinese):
    assert list(Incident.objects.filter(search_vector=search_query("printers"))) == [printer]
    assert list(Incident.objects.filter(search_vector=search_query("打印"))) == [chinese]


def test_words_of_a_reply_that_also_changes_the_state_are_found(cast, printer):
    """The reply's state change saves the row it locked before the reply was indexed: the index must survive."""
    services.transition_incident(printer, "take", actor=cast.agent)
    services.transition_incident(printer, "pend_user", actor=cast.agent, comment="Which drawer?")
    services.add_comment(printer, actor=cast.end_user, body="The manual feeder 手动进纸")
    assert Incident.objects.get(pk=printer.pk).state == "in_progress"
    assert found(cast.agent, "feeder") == [printer.number]
    assert found(cast.agent, "进纸") == [printer.number]
    assert found(cast.agent, "drawer") == [printer.number]
