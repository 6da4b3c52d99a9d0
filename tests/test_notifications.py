"""Mail to requesters through a real SMTP server (aiosmtpd on loopback): content, language, exactly once."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import translation

from core.models import Notification
from core.notify import notify
from incidents import services
from incidents.choices import Action, ResolutionCode
from incidents.notifications import send_incident_mail
from tests.mail import body_of, subject_of

ZH_CATALOGUE = Path(django_settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"


@pytest.fixture
def incident(cast):
    return services.create_incident(actor=cast.end_user, title="VPN drops every hour")


def test_acknowledgement_reaches_the_requester(cast, smtp_settings, incident):
    assert send_incident_mail(incident.pk, "acknowledgement") is True

    [message] = smtp_settings.received
    assert message["To"] == cast.end_user.email
    assert message["From"] == django_settings.DEFAULT_FROM_EMAIL
    assert subject_of(message) == f"[{incident.number}] We have received your report: VPN drops every hour"
    body = body_of(message)
    assert f"It has been recorded as {incident.number}" in body
    assert f"/portal/incidents/{incident.number}/" in body
    stored = Notification.objects.get(recipient=cast.end_user)
    assert (stored.subject, stored.key) == (subject_of(message), f"incident:{incident.pk}:acknowledgement:")


def test_same_key_twice_sends_one_mail(cast, smtp_settings, incident):
    assert send_incident_mail(incident.pk, "acknowledgement") is True
    assert send_incident_mail(incident.pk, "acknowledgement") is False  # a task delivered twice
    assert len(smtp_settings.received) == 1
    assert Notification.objects.filter(recipient=cast.end_user).count() == 1


def test_state_mail_carries_the_resolution(cast, smtp_settings, incident):
    services.transition_incident(incident, Action.TAKE, actor=cast.agent)
    resolved = services.transition_incident(incident, Action.RESOLVE, actor=cast.agent,
                                            resolution_code=ResolutionCode.SOLVED,
                                            resolution_notes="Updated the VPN client to 5.2.")
    send_incident_mail(resolved.pk, f"state:resolve:{resolved.version}")

    [message] = smtp_settings.received
    assert subject_of(message) == f"[{incident.number}] Your incident is now: Resolved"
    assert "Updated the VPN client to 5.2." in body_of(message)


def test_a_public_reply_is_mailed_and_an_internal_note_never(cast, smtp_settings, incident):
    reply = services.add_comment(incident, actor=cast.agent, body="Which VPN client version do you use?")
    note = services.add_comment(incident, actor=cast.agent, body="Probably the old client again", internal=True)

    assert send_incident_mail(incident.pk, "reply", comment_id=note.pk) is False
    assert send_incident_mail(incident.pk, "reply", comment_id=reply.pk) is True
    [message] = smtp_settings.received
    assert "Which VPN client version do you use?" in body_of(message)
    assert "old client" not in body_of(message)


def test_nothing_is_sent_to_an_inactive_requester_or_for_a_missing_incident(cast, smtp_settings, incident):
    cast.end_user.is_active = False
    cast.end_user.save()
    assert send_incident_mail(incident.pk, "acknowledgement") is False
    assert send_incident_mail(10**9, "acknowledgement") is False
    assert smtp_settings.received == []


def test_a_refused_delivery_keeps_no_record_so_the_retry_sends(cast, smtp_settings, settings, incident):
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # nothing listens there
    with pytest.raises(ConnectionError):  # BaseTask retries on ConnectionError
        send_incident_mail(incident.pk, "acknowledgement")
    assert not Notification.objects.exists()

    settings.EMAIL_PORT = working_port
    assert send_incident_mail(incident.pk, "acknowledgement") is True
    assert len(smtp_settings.received) == 1


@pytest.fixture
def language_probe_templates(settings):
    """Templates that print the language active while they render (no translations needed to see the switch)."""
    settings.TEMPLATES = [{
        "NAME": "text",  # mail renders through the plain-text engine
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {"loaders": [("django.template.loaders.locmem.Loader", {
            "probe/subject.txt": "{% load i18n %}{% get_current_language as lang %}language={{ lang }}",
            "probe/body.txt": "{% load i18n %}{% get_current_language as lang %}{{ recipient.username }} {{ lang }}",
        })]},
    }]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_mail_is_rendered_in_the_recipients_language(cast, smtp_settings, language_probe_templates, language):
    cast.end_user.language = language
    cast.end_user.save()
    active_before = translation.get_language()

    notify(cast.end_user, key=f"probe:{language}", subject_template="probe/subject.txt",
           body_template="probe/body.txt", context={})

    [message] = smtp_settings.received
    assert subject_of(message) == f"language={language}"
    assert body_of(message).strip() == f"enduser {language}"
    assert translation.get_language() == active_before  # the switch does not leak into the caller


def test_agents_language_does_not_change_the_requesters_mail(cast, smtp_settings, language_probe_templates):
    cast.end_user.language = "zh-hans"
    cast.end_user.save()
    with translation.override("en"):  # e.g. a task run while an English-speaking agent's request is active
        notify(cast.end_user, key="probe", subject_template="probe/subject.txt", body_template="probe/body.txt",
               context={})
    assert subject_of(smtp_settings.received[0]) == "language=zh-hans"


@pytest.mark.skipif(not ZH_CATALOGUE.exists(),
                    reason=f"no Chinese catalogue yet ({ZH_CATALOGUE.relative_to(django_settings.BASE_DIR)} "
                           "is built in the translation pass)")
def test_chinese_requester_gets_a_chinese_acknowledgement(cast, smtp_settings, incident):
    cast.colleague.language = "zh-hans"
    cast.colleague.save()
    chinese = services.create_incident(actor=cast.colleague, title="VPN drops every hour")
    send_incident_mail(incident.pk, "acknowledgement")
    send_incident_mail(chinese.pk, "acknowledgement")

    english_subject, chinese_subject = (subject_of(m) for m in smtp_settings.received)
    assert english_subject.removeprefix(f"[{incident.number}]") != chinese_subject.removeprefix(f"[{chinese.number}]")
    assert "We have received your report" not in chinese_subject


def test_plain_text_mail_is_not_html_escaped(cast, smtp_settings):
    incident = services.create_incident(actor=cast.end_user, title="Tom's <printer> & co")
    send_incident_mail(incident.pk, "acknowledgement")

    [message] = smtp_settings.received
    assert subject_of(message) == f"[{incident.number}] We have received your report: Tom's <printer> & co"
    assert "&#x27;" not in body_of(message) and "&lt;" not in body_of(message)
