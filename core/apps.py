from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.db.models.signals import post_migrate

        from .roles import ensure_role_groups

        post_migrate.connect(ensure_role_groups, sender=self)

        from django.core.signals import request_finished, request_started

        from .db import base as bounded_db

        request_started.connect(bounded_db.enter_request, dispatch_uid="core.db.enter_request")
        request_finished.connect(bounded_db.leave_request, dispatch_uid="core.db.leave_request")
