"""Thin, idempotent tasks: they take ids and call a service."""

from celery import shared_task

from core.tasks import BaseTask


@shared_task(base=BaseTask, name="incidents.tasks.send_incident_mail")
def send_incident_mail(incident_id, kind, comment_id=None):
    """Messages queued before the outbox (core.outbox) carries these mails; nothing new is queued here."""
    from .notifications import send_incident_mail as send

    send(incident_id, kind, comment_id=comment_id)


@shared_task(base=BaseTask, name="incidents.tasks.auto_close_resolved_incidents")
def auto_close_resolved_incidents():
    from .services import auto_close_resolved

    return auto_close_resolved()
