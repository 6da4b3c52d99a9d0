import re
import zoneinfo

from django.conf import settings
from django.http import Http404
from django.utils import timezone, translation


class UserLanguageMiddleware:
    """Activate the language and time zone the signed-in user has (after LocaleMiddleware, which covers anonymous
    visitors; without a time zone of their own, times show in the portal's)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        zone = getattr(user, "time_zone", "") if user is not None and user.is_authenticated else ""
        try:
            timezone.activate(zoneinfo.ZoneInfo(zone)) if zone else timezone.deactivate()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        return self.get_response(request)


# C0 and C1 control characters, DEL included: no URL of the portal has one, and a NUL reaching PostgreSQL is a 500.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class RefuseControlCharactersMiddleware:
    """Answer 404 for a path with a control character (`/desk/incidents/INC-1%00/`), before any view or converter."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _CONTROL_CHARACTERS.search(request.path):
            if request.path.startswith("/api/"):
                from core.api.views import api_not_found  # the API's own JSON 404, as for any unknown API path

                return api_not_found(request)
            raise Http404("control character in the path")
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Send settings.PERMISSIONS_POLICY on every response: the portal uses no camera, microphone, location …"""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.PERMISSIONS_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Permissions-Policy", self.policy)
        return response
