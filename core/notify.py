"""Deliver a notification exactly once per (recipient, key): stored for the portal, mailed in their language.

A burst to one person (a scan that breaches hundreds of clocks led by the same team lead) is stored one by one for the
portal, but mailed as one digest that lists them: from settings.NOTIFICATION_DIGEST_FROM notices up (`notify_each`).
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import Notification


@dataclass(frozen=True)
class Notice:
    """One notification to render: its exactly-once key, its templates and context, and its link in the portal."""

    key: str
    subject_template: str
    body_template: str
    context: dict = field(default_factory=dict)
    url: str = ""


def _language(recipient):
    return recipient.language or settings.LANGUAGE_CODE


def render_text(template, context):
    """A plain-text mail template, rendered without HTML escaping (the "text" template engine)."""
    return render_to_string(template, context, using="text")


def _subject(template, context):
    return " ".join(render_text(template, context).split())


def _mail(recipient, subject, body, connection):
    if recipient.email:
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient.email], connection=connection).send()


def mail_later(message, *, key):
    """Queue an already rendered mail in the outbox, in the caller's transaction (core.outbox): it leaves once the
    change commits, is kept and retried while the mail server refuses, and a request never waits on SMTP. `key`
    names the effect (one mail per key)."""
    from . import outbox

    outbox.enqueue("core.notify.send_rendered_mail", {
        "subject": str(message.subject), "body": str(message.body), "from_email": message.from_email,
        "to": list(message.to), "alternatives": [[str(content), mimetype]
                                                 for content, mimetype in getattr(message, "alternatives", [])],
    }, key=key)


def send_rendered_mail(*, subject, body, from_email, to, alternatives=()):
    """The outbox's handler for `mail_later`."""
    message = EmailMultiAlternatives(subject, body, from_email, to)
    for content, mimetype in alternatives:
        message.attach_alternative(content, mimetype)
    message.send()


def notify(recipient, *, key, subject_template, body_template, context, url="", connection=None):
    """Render in the recipient's language, store, mail. A repeated key (task delivered twice) does nothing.

    The row and the mail share one transaction: if the SMTP server refuses, the row is rolled back and the task's
    retry sends again. `connection`: an open mail connection to reuse when sending many (one SMTP session).
    """
    if not recipient.is_active:
        return False
    with translation.override(_language(recipient)):
        ctx = {**context, "recipient": recipient, "portal_url": settings.PORTAL_BASE_URL + url}
        subject = _subject(subject_template, ctx)
        body = render_text(body_template, ctx)
    try:
        with transaction.atomic():
            Notification.objects.create(recipient=recipient, key=key, subject=subject[:300], body=body, url=url)
            _mail(recipient, subject, body, connection)
    except IntegrityError:
        return False
    return True


def _store_new(recipient, rows):
    """INSERT the notifications that are new (by key) in one statement; answer the keys inserted."""
    table = Notification._meta.db_table
    now = timezone.now()
    values = ", ".join(["(%s, %s, %s, '', %s, %s)"] * len(rows))
    params = [value for key, subject, url in rows for value in (recipient.pk, key, subject[:300], url, now)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (recipient_id, key, subject, body, url, created_at) VALUES {values} "  # noqa: S608 - no user input in the SQL
            "ON CONFLICT (recipient_id, key) DO NOTHING RETURNING key", params)
        return {row[0] for row in cursor.fetchall()}


def notify_each(recipient, notices, *, digest_subject_template, digest_body_template, connection=None):
    """Several notices to one person. Fewer than settings.NOTIFICATION_DIGEST_FROM: `notify` each. More: each is
    stored for the portal (its subject and link; exactly once by key, in one statement), and those new are mailed
    together as one digest (the digest templates get `notices`: [{subject, url}] and `count`). The rows and the
    digest share one transaction, as in `notify`. Returns how many notices were new."""
    if not recipient.is_active or not notices:
        return 0
    if len(notices) < settings.NOTIFICATION_DIGEST_FROM:
        return sum(notify(recipient, key=n.key, subject_template=n.subject_template, body_template=n.body_template,
                          context=n.context, url=n.url, connection=connection) for n in notices)
    with translation.override(_language(recipient)):
        rows = [(n.key, _subject(n.subject_template, {**n.context, "recipient": recipient}), n.url) for n in notices]
        with transaction.atomic():
            new = _store_new(recipient, rows)
            fresh = [{"subject": subject, "url": settings.PORTAL_BASE_URL + url}
                     for key, subject, url in rows if key in new]
            if fresh:
                ctx = {"recipient": recipient, "notices": fresh, "count": len(fresh),
                       "portal_url": settings.PORTAL_BASE_URL}
                _mail(recipient, _subject(digest_subject_template, ctx), render_text(digest_body_template, ctx),
                      connection)
    return len(fresh)
