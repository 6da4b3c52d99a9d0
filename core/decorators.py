from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from .roles import is_admin, is_staff_member


def role_required(may_enter):
    """A page for signed-in people `may_enter(user)` admits: anonymous visitors go to the login page, others get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not may_enter(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# Agent desk pages: staff only; an end user gets 403 (they have the portal).
staff_required = role_required(is_staff_member)
admin_required = role_required(is_admin)
