"""The invitation e-mail: a link, valid for PASSWORD_RESET_TIMEOUT, where a new person chooses their password."""

import uuid

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from core.notify import mail_later, render_text


def invitation_link(user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("password-set", kwargs={"uidb64": uid, "token": default_token_generator.make_token(user)})
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def mail_invitation(user):
    context = {"user": user, "link": invitation_link(user), "days": settings.PASSWORD_RESET_TIMEOUT // 86400}
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = " ".join(render_text("core/mail/invitation_subject.txt", context).split())
        body = render_text("core/mail/invitation_body.txt", context)
    # Through the outbox: queued with the account's own transaction, retried while the mail server refuses.
    mail_later(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]),
               key=f"invitation:{user.pk}:{uuid.uuid4().hex}")  # each invitation sent again is a mail of its own
