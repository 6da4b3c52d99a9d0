"""Deliver a notification exactly once per (recipient, key): stored for the portal, mailed in their language."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from .models import Notification


def notify(recipient, *, key, subject_template, body_template, context, url="", connection=None):
    """Render in the recipient's language, store, mail. A repeated key (task delivered twice) does nothing.

    The row and the mail share one transaction: if the SMTP server refuses, the row is rolled back and the task's
    retry sends again. `connection`: an open mail connection to reuse when sending many (one SMTP session).
    """
    if not recipient.is_active:
        return False
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        ctx = {**context, "recipient": recipient, "portal_url": settings.PORTAL_BASE_URL + url}
        subject = " ".join(render_to_string(subject_template, ctx).split())
        body = render_to_string(body_template, ctx)
    try:
        with transaction.atomic():
            Notification.objects.create(recipient=recipient, key=key, subject=subject[:300], body=body, url=url)
            if recipient.email:
                EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient.email],
                             connection=connection).send()
    except IntegrityError:
        return False
    return True
