"""The tables every record kind shares: links, watchers, time spent, reply templates and the timeline."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from incidents import services
from records import effort, links, replies, timeline, watchers
from records.models import LinkType, RecordLink, ReplyTemplate, TimeEntry, Watcher

pytestmark = pytest.mark.django_db


@pytest.fixture
def mine(cast):
    return services.create_incident(actor=cast.end_user, title="Laptop battery")


@pytest.fixture
def theirs(cast):
    return services.create_incident(actor=cast.outsider, title="Globex printer")


class TestLinks:
    def test_read_from_both_sides_with_their_labels(self, cast, mine, theirs):
        links.add_link(mine, LinkType.DUPLICATE_OF, theirs, actor=cast.agent)
        [(_link, label, other)] = links.links_of(mine, cast.agent)
        assert (str(label), other.pk) == ("Duplicate of", theirs.pk)
        [(_link, label, other)] = links.links_of(theirs, cast.agent)
        assert (str(label), other.pk) == ("Duplicated by", mine.pk)
        assert list(links.linked_ids(mine, LinkType.DUPLICATE_OF, "incident")) == [theirs.pk]
        assert list(links.linked_ids(theirs, LinkType.DUPLICATE_OF, "incident", inverse=True)) == [mine.pk]

    def test_the_same_link_twice_is_one_link(self, cast, mine, theirs):
        first = links.add_link(mine, LinkType.RELATED, theirs, actor=cast.agent)
        again = links.add_link(mine, LinkType.RELATED, theirs, actor=cast.agent2)
        assert first.pk == again.pk and RecordLink.objects.count() == 1
        assert again.created_by == cast.agent

    def test_links_to_records_a_person_may_not_see_are_left_out(self, cast, mine, theirs):
        links.add_link(mine, LinkType.RELATED, theirs, actor=cast.agent)
        assert links.links_of(mine, cast.end_user) == []  # Globex's incident is not theirs to see
        assert len(links.links_of(mine, cast.agent)) == 1

    def test_refusals(self, cast, mine, theirs):
        with pytest.raises(PermissionDenied):
            links.add_link(mine, LinkType.RELATED, theirs, actor=cast.end_user)
        with pytest.raises(ValidationError) as bad_type:
            links.add_link(mine, "loves", theirs, actor=cast.agent)
        assert "link_type" in bad_type.value.message_dict
        with pytest.raises(ValidationError) as itself:
            links.add_link(mine, LinkType.RELATED, mine, actor=cast.agent)
        assert "target" in itself.value.message_dict
        link = links.add_link(mine, LinkType.RELATED, theirs, actor=None)  # the system links too
        with pytest.raises(PermissionDenied):
            links.remove_link(link, actor=cast.end_user)
        links.remove_link(link, actor=cast.agent)
        assert not RecordLink.objects.exists()


class TestWatchers:
    def test_watch_is_idempotent_and_unwatch_removes(self, cast, mine):
        watchers.watch(mine, cast.agent, actor=cast.agent)
        watchers.watch(mine, cast.agent, actor=cast.agent)
        assert list(watchers.watchers_of(mine)) == [cast.agent]
        watchers.unwatch(mine, cast.agent, actor=cast.agent)
        assert not Watcher.objects.exists()

    def test_only_staff_add_others_and_only_people_who_may_see(self, cast, mine):
        with pytest.raises(PermissionDenied):
            watchers.watch(mine, cast.agent, actor=cast.colleague)
        with pytest.raises(PermissionDenied):
            watchers.watch(mine, cast.outsider, actor=cast.agent)  # may not see Acme's incident
        with pytest.raises(PermissionDenied):
            watchers.watch(mine, cast.outsider, actor=cast.outsider)
        watchers.watch(mine, cast.end_user, actor=cast.end_user)  # the requester follows their own
        with pytest.raises(PermissionDenied):
            watchers.unwatch(mine, cast.end_user, actor=cast.colleague)
        assert list(watchers.watchers_of(mine)) == [cast.end_user]

    def test_deactivated_people_are_not_watchers(self, cast, mine):
        watchers.watch(mine, cast.agent2, actor=cast.agent)
        cast.agent2.is_active = False
        cast.agent2.save()
        assert list(watchers.watchers_of(mine)) == []


class TestEffort:
    @pytest.mark.parametrize("bad", [0, "0", "-1", "1441", "abc", "٣", "²", "1e3", " "])
    def test_bad_minutes_name_the_field(self, cast, mine, bad):
        with pytest.raises(ValidationError) as refused:
            effort.log_time(mine, actor=cast.agent, minutes=bad)
        assert "minutes" in refused.value.message_dict
        assert not TimeEntry.objects.exists()

    def test_only_staff_record_time(self, cast, mine):
        with pytest.raises(PermissionDenied):
            effort.log_time(mine, actor=cast.end_user, minutes=5)

    def test_totals_per_record_agent_and_group(self, cast, mine, theirs):
        mine.assignment_group = cast.group
        mine.save()
        effort.log_time(mine, actor=cast.agent, minutes=" 30 ")
        effort.log_time(mine, actor=cast.agent2, minutes=15)
        effort.log_time(theirs, actor=cast.agent, minutes=5,
                        spent_on=timezone.localdate() - datetime.timedelta(days=40))
        assert effort.total_minutes(mine) == 45
        by_user = {row["user"]: row["minutes"] for row in effort.totals_by("user")}
        assert by_user == {cast.agent.pk: 35, cast.agent2.pk: 15}
        recent = {row["user"]: row["minutes"]
                  for row in effort.totals_by("user", since=timezone.localdate() - datetime.timedelta(days=30))}
        assert recent == {cast.agent.pk: 30, cast.agent2.pk: 15}
        by_group = {row["group"]: row["minutes"] for row in effort.totals_by("group")}
        assert by_group == {cast.group.pk: 45, None: 5}


class TestReplyTemplates:
    def template(self, **fields):
        return ReplyTemplate.objects.create(name=fields.pop("name", "T"), **fields)

    def test_placeholders_are_filled(self, cast, mine):
        cast.end_user.first_name, cast.end_user.last_name = "Ada", "Lovelace"
        cast.agent.first_name, cast.agent.last_name = "Grace", "Hopper"
        due = timezone.now()
        text = replies.render(self.template(body_en="Hi {requester}, {number} ({title}) by {due}. {agent}"),
                              mine, agent=cast.agent, language="en", due=due)
        assert text.startswith(f"Hi Ada Lovelace, {mine.number} (Laptop battery) by ")
        assert text.endswith(". Grace Hopper")
        assert replies.render(self.template(body_en="due {due}."), mine, agent=cast.agent, language="en") == "due ."

    def test_chinese_falls_back_to_english_when_empty(self, cast, mine):
        both = self.template(body_en="Hello", body_zh="您好")
        english_only = self.template(body_en="Hello", body_zh="  ")
        assert replies.render(both, mine, agent=cast.agent, language="zh-hans") == "您好"
        assert replies.render(both, mine, agent=cast.agent, language="en") == "Hello"
        assert replies.render(english_only, mine, agent=cast.agent, language="zh-hans") == "Hello"

    def test_positional_and_attribute_fields_are_not_evaluated(self, cast, mine):
        body = "{0} {requester.password} {number.__class__} {__import__} {unknown} {{literal}}"
        text = replies.render(self.template(body_en=body), mine, agent=cast.agent, language="en")
        assert text == "{0} {requester.password} {number.__class__} {__import__} {unknown} {literal}"
        assert "pbkdf2" not in text and "md5" not in text

    def test_who_may_use_which(self, cast):
        everyone = self.template(name="Everyone", body_en="x")
        group = self.template(name="Desk", body_en="x", group=cast.group)
        other_group = self.template(name="Network", body_en="x", group=cast.other_group)
        personal = self.template(name="Mine", body_en="x", owner=cast.agent)
        self.template(name="Not mine", body_en="x", owner=cast.agent2)
        assert set(replies.templates_for(cast.agent)) == {everyone, group, personal}
        assert other_group not in replies.templates_for(cast.agent)
        assert list(replies.templates_for(cast.end_user)) == []


class TestTimeline:
    def test_end_users_see_only_public_events_translated_when_shown(self, cast, mine):
        timeline.register_event("test_escalated", translation.gettext_lazy("Escalated to %(group)s."))
        timeline.record_event(mine, "test_escalated", actor=cast.agent, group="Network")
        timeline.record_event(mine, "note", actor=cast.agent, public=True, text="We are on it")
        assert [e.sentence for e in timeline.timeline_of(mine, cast.agent)] == ["Escalated to Network.", "We are on it"]
        assert [e.sentence for e in timeline.timeline_of(mine, cast.end_user)] == ["We are on it"]
        with pytest.raises(KeyError):
            timeline.record_event(mine, "never_registered", actor=None)

    def test_a_sentence_missing_its_data_is_shown_without_it(self, cast, mine):
        timeline.register_event("test_moved", translation.gettext_lazy("Moved to %(group)s."))
        event = timeline.record_event(mine, "test_moved", actor=None)
        assert timeline.describe(event) == "Moved to %(group)s."
