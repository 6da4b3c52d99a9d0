"""The panels every record's desk page carries (watchers, links, time spent, timeline), the reply form's time and
templates, the effort page and the time API, exercised on incidents through pages a person uses."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import IncidentComment
from records import links, timeline, watchers
from records.models import LinkType, RecordLink, ReplyTemplate, TimeEntry, Watcher

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def incident(cast):
    return services.create_incident(actor=cast.agent, requester=cast.end_user, title="Printer jammed",
                                    description="Paper stuck", assignment_group=cast.group)


def panel(name, incident):
    return reverse(f"records:{name}", args=["incident", incident.number])


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


class TestPanelsOnThePage:
    def test_the_incident_page_loads_each_panel(self, cast, incident):
        page = client_for(cast.agent).get(reverse("incidents:detail", args=[incident.number])).content.decode()
        for name in ("watchers", "time", "links", "timeline"):
            assert panel(name, incident) in page
        assert "records/replies.js" in page

    def test_panels_are_staff_only_and_404_for_unknown_records(self, cast, incident):
        assert client_for(cast.end_user).get(panel("watchers", incident)).status_code == 403
        agent = client_for(cast.agent)
        assert agent.get(reverse("records:watchers", args=["incident", "INC-999999"])).status_code == 404
        assert agent.get(reverse("records:watchers", args=["nosuchkind", incident.number])).status_code == 404
        # Any spelling of the number a person may type finds the record.
        digits = incident.number.split("-")[1].lstrip("0")
        assert agent.get(reverse("records:links", args=["incident", digits])).status_code == 200


class TestTimeSpent:
    def comment(self, user, incident, **data):
        return client_for(user).post(reverse("incidents:comment", args=[incident.number]),
                                     {"body": "Cleared the paper path.", **data}, follow=True)

    def test_time_is_saved_with_the_reply_and_summed_per_agent(self, cast, incident):
        self.comment(cast.agent, incident, minutes="25")
        self.comment(cast.agent, incident, minutes="10", internal="on")
        self.comment(cast.agent2, incident, minutes="5")
        self.comment(cast.agent2, incident)  # no time: nothing recorded
        entries = TimeEntry.objects.filter(record_kind="incident", record_id=incident.pk)
        assert sorted(e.minutes for e in entries) == [5, 10, 25]
        assert all(e.comment_id and e.group_id == cast.group.pk for e in entries)
        assert {e.comment_id for e in entries} <= set(IncidentComment.objects.values_list("pk", flat=True))
        page = client_for(cast.lead).get(panel("time", incident)).content.decode()
        assert "40 minutes" in page
        assert str(cast.agent2) in page

    @pytest.mark.parametrize("bad", ["0", "-5", "abc", "1441", "²", "1.5"])
    def test_bad_minutes_name_the_field_and_save_nothing(self, cast, incident, bad):
        response = self.comment(cast.agent, incident, minutes=bad)
        assert response.status_code == 400
        assert response.context["comment_form"].errors["minutes"]
        assert not IncidentComment.objects.filter(incident=incident).exists()
        assert not TimeEntry.objects.exists()

    def test_the_api_lists_and_records_time(self, cast, incident):
        url = reverse("record-time", args=["incident", incident.number])
        agent = client_for(cast.agent)
        created = agent.post(url, {"minutes": "30", "note": "Phone call"}, content_type="application/json")
        assert created.status_code == 201, created.content
        assert created.json()["minutes"] == 30
        listed = agent.get(url).json()
        assert listed["total_minutes"] == 30 and listed["results"][0]["user"] == "agent"
        refused = agent.post(url, {"minutes": "0"}, content_type="application/json")
        assert refused.status_code == 400 and "minutes" in refused.content.decode()
        assert client_for(cast.end_user).get(url).status_code == 403  # their own incident, but time is staff's
        assert client_for(cast.outsider).get(url).status_code == 404
        assert agent.get(reverse("record-time", args=["incident", "INC-999999"])).status_code == 404
        assert TimeEntry.objects.count() == 1

    def test_effort_page_for_leads(self, cast, incident):
        self.comment(cast.agent, incident, minutes="90")
        url = reverse("records:effort")
        assert client_for(cast.agent).get(url).status_code == 403
        page = client_for(cast.lead).get(url, {"period": "7"})
        assert page.status_code == 200
        text = page.content.decode()
        assert "agent" in text and "Service desk" in text and "90" in text
        assert client_for(cast.lead).get(url, {"period": "nonsense"}).status_code == 400


class TestWatchers:
    def test_watch_and_stop_watching(self, cast, incident):
        agent = client_for(cast.agent)
        agent.post(panel("watch", incident))
        assert Watcher.objects.filter(user=cast.agent).count() == 1
        assert "Stop watching" in agent.get(panel("watchers", incident)).content.decode()
        agent.post(panel("unwatch", incident))
        assert not Watcher.objects.exists()

    def test_an_agent_adds_and_removes_someone_else(self, cast, incident):
        cast.colleague.sees_organisation_tickets = True  # a colleague who may follow the organisation's incidents
        cast.colleague.save()
        agent = client_for(cast.agent)
        agent.post(panel("watcher-add", incident), {"user": cast.colleague.pk})
        assert [p.username for p in watchers.watchers_of(incident)] == ["colleague"]
        # Someone who may not see the incident is refused, with the reason shown.
        response = agent.post(panel("watcher-add", incident), {"user": cast.outsider.pk}, follow=True)
        assert any("may not see" in m for m in messages_of(response))
        response = agent.post(panel("watcher-add", incident), {"user": "x"}, follow=True)
        assert any(m.startswith("Person:") for m in messages_of(response)), messages_of(response)
        agent.post(reverse("records:watcher-remove", args=["incident", incident.number, cast.colleague.pk]))
        assert not Watcher.objects.exists()

    def test_watchers_get_public_updates_once_in_their_language(self, cast, smtp_settings, incident):
        from incidents.notifications import send_incident_mail

        cast.colleague.language, cast.colleague.sees_organisation_tickets = "zh-hans", True
        cast.colleague.save()
        watchers.watch(incident, cast.colleague, actor=cast.agent)
        watchers.watch(incident, cast.agent2, actor=cast.agent2)
        watchers.watch(incident, cast.end_user, actor=cast.end_user)  # the requester: told once, as requester
        comment = services.add_comment(incident, actor=cast.agent, body="On my way.")
        assert send_incident_mail(incident.pk, "reply", comment_id=comment.pk)
        send_incident_mail(incident.pk, "reply", comment_id=comment.pk)  # delivered twice: nobody mailed twice
        to = sorted(m["To"] for m in smtp_settings.received)
        assert to == sorted([cast.end_user.email, cast.colleague.email, cast.agent2.email])
        [chinese] = [m for m in smtp_settings.received if m["To"] == cast.colleague.email]
        assert "写道" in chinese.get_payload(decode=True).decode()
        # The acknowledgement is the requester's alone; an internal note mails nobody.
        smtp_settings.received.clear()
        send_incident_mail(incident.pk, "acknowledgement")
        assert [m["To"] for m in smtp_settings.received] == [cast.end_user.email]


class TestLinks:
    def test_link_by_number_and_unlink(self, cast, incident):
        other = services.create_incident(actor=cast.colleague, title="Printer offline")
        agent = client_for(cast.agent)
        response = agent.post(panel("link-add", incident), {"link_type": "related", "target": other.number.lower()},
                              follow=True)
        assert response.status_code == 200
        [link] = RecordLink.objects.all()
        assert (link.source_id, link.target_id, link.link_type) == (incident.pk, other.pk, "related")
        # Read from the other side too.
        assert incident.number in agent.get(panel("links", other)).content.decode()
        agent.post(reverse("records:link-remove", args=["incident", other.number, link.pk]))
        assert not RecordLink.objects.exists()

    @pytest.mark.parametrize("target", ["INC-999999", "PRB-000001", "hello", ""])
    def test_an_unknown_number_names_the_field(self, cast, incident, target):
        response = client_for(cast.agent).post(panel("link-add", incident), {"link_type": "related", "target": target},
                                               follow=True)
        assert any(m.startswith("Record number:") for m in messages_of(response))
        assert not RecordLink.objects.exists()

    def test_linking_to_itself_is_refused(self, cast, incident):
        response = client_for(cast.agent).post(panel("link-add", incident),
                                               {"link_type": "related", "target": incident.number}, follow=True)
        assert any("itself" in m for m in messages_of(response))
        assert not RecordLink.objects.exists()

    def test_a_link_of_another_record_is_not_removed_here(self, cast, incident):
        a = services.create_incident(actor=cast.colleague, title="A")
        b = services.create_incident(actor=cast.colleague, title="B")
        link = links.add_link(a, LinkType.RELATED, b, actor=cast.agent)
        response = client_for(cast.agent).post(reverse("records:link-remove",
                                                       args=["incident", incident.number, link.pk]))
        assert response.status_code == 404
        assert RecordLink.objects.count() == 1


class TestTimeline:
    def test_staff_see_every_event_translated(self, cast, incident):
        timeline.record_event(incident, "note", actor=cast.agent, text="Vendor called back")
        timeline.record_event(incident, "note", actor=cast.agent, public=True, text="Parts ordered")
        page = client_for(cast.agent).get(panel("timeline", incident)).content.decode()
        assert "Vendor called back" in page and "Parts ordered" in page


class TestReplyTemplates:
    def test_the_reply_form_offers_templates_and_inserts_the_text(self, cast, incident):
        cast.end_user.first_name, cast.end_user.last_name, cast.end_user.language = "Li", "Wei", "zh-hans"
        cast.end_user.save()
        mine = ReplyTemplate.objects.create(name="Hello", owner=cast.agent, body_en="Hi {requester}, {number}.",
                                            body_zh="{requester}您好，{number}。")
        theirs = ReplyTemplate.objects.create(name="Other's", owner=cast.agent2, body_en="secret")
        ReplyTemplate.objects.create(name="Network only", group=cast.other_group, body_en="net")
        agent = client_for(cast.agent)
        page = agent.get(reverse("incidents:detail", args=[incident.number])).content.decode()
        assert 'data-testid="reply-template"' in page and "Hello" in page
        assert "Other&#x27;s" not in page and "Network only" not in page
        text = agent.get(panel("reply-text", incident), {"template": mine.pk}).content.decode()
        assert text == f"Li Wei您好，{incident.number}。"  # in the requester's language
        assert agent.get(panel("reply-text", incident), {"template": theirs.pk}).status_code == 404
        assert agent.get(panel("reply-text", incident), {"template": "1; drop"}).status_code == 404
        assert agent.get(panel("reply-text", incident), {"template": ""}).content == b""

    def test_agents_keep_personal_templates(self, cast):
        agent = client_for(cast.agent)
        url = reverse("records:my-templates")
        response = agent.post(url, {"name": "Thanks", "body_en": "Thank you, {requester}.", "body_zh": ""})
        assert response.status_code == 302
        template = ReplyTemplate.objects.get()
        assert (template.owner, template.group) == (cast.agent, None)
        refused = agent.post(url, {"name": "Empty", "body_en": "  "})
        assert refused.status_code == 400 and ReplyTemplate.objects.count() == 1
        # Another agent cannot delete it.
        delete = reverse("records:my-template-delete", args=[template.pk])
        assert client_for(cast.agent2).post(delete).status_code == 404
        agent.post(delete)
        assert not ReplyTemplate.objects.exists()

    def test_administrators_manage_group_templates(self, cast):
        admin = client_for(cast.admin)
        url = reverse("administration:create", args=["reply-templates"])
        response = admin.post(url, {"name": "Outage", "group": cast.group.pk, "owner": "",
                                    "body_en": "We know, {requester}.", "body_zh": "我们已知悉。"})
        assert response.status_code == 302, response.content
        template = ReplyTemplate.objects.get()
        assert template.group == cast.group
        both = admin.post(url, {"name": "Both", "group": cast.group.pk, "owner": cast.agent.pk, "body_en": "x"})
        assert both.status_code == 400 and ReplyTemplate.objects.count() == 1
        assert client_for(cast.agent).get(reverse("administration:list", args=["reply-templates"])).status_code == 403


def test_due_is_the_resolution_clock_due_time(cast):
    """{due} in a template is when the incident's resolution target falls due (its SLA clock), in the page's zone."""
    from tests.sla_helpers import ALL_DAY, make_agreement, make_calendar, report

    make_agreement(cast.admin, make_calendar(cast.admin, periods=ALL_DAY))
    incident = report(cast)
    due = incident.sla_clocks.get(metric="resolution").due_at
    assert due is not None
    template = ReplyTemplate.objects.create(name="Due", body_en="By {due}.")
    text = client_for(cast.agent).get(panel("reply-text", incident), {"template": template.pk}).content.decode()
    assert text.startswith("By ") and text != "By ."
    assert str(timezone.localtime(due).year) in text
