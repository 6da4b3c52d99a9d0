"""The Celery application: SLA timers, escalations, notifications and reports run here."""

import os

from celery import Celery

from core import broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")

broker.install()  # workers survive a broker restart (see core/broker.py)
app = Celery("itsm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
