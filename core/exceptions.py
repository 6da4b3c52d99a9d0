"""Domain errors raised by service functions and turned into HTTP answers by pages and the API alike."""

from django.utils.translation import gettext_lazy as _


class ServiceError(Exception):
    status_code = 400
    default_message = _("The request could not be carried out.")

    def __init__(self, message=None, **extra):
        self.message = message or self.default_message
        self.extra = extra
        super().__init__(str(self.message))

    def as_dict(self):
        return {"detail": str(self.message), **self.extra}


class Conflict(ServiceError):
    status_code = 409
    default_message = _("The record changed in a way that conflicts with this request.")


class StaleVersion(Conflict):
    default_message = _("Someone else changed this record since you opened it. Reload it and try again.")


class IllegalTransition(Conflict):
    default_message = _("This state change is not allowed from the current state.")


class PayloadTooLarge(ServiceError):
    status_code = 413
    default_message = _("The file is larger than the limit.")
