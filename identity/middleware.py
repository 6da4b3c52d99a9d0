from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from . import policy


class MfaRequiredMiddleware:
    """Someone whose role requires a second factor and who has none is sent to set one up, and may use nothing else
    of the portal until they have. The API with tokens carries no session and is not affected."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.session.get(policy.SESSION_KEY) and request.user.is_authenticated and not self._open(request.path):
            message = _("Your role requires two-factor authentication. Set up an authenticator app or a security "
                        "key to continue.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=403)
            if request.headers.get("HX-Request"):
                return HttpResponse(status=204)  # htmx would swap the whole Preferences page into a badge
            return redirect(reverse("preferences") + "#mfa")  # its two-factor section says why
        return self.get_response(request)

    @staticmethod
    def _open(path):
        """Pages needed to set up a factor or leave: the two-factor pages, re-authentication, login and logout,
        preferences (with its two-factor section), language switching and static files."""
        open_prefixes = (reverse("mfa_index"), reverse("account_reauthenticate"), reverse("login"), reverse("logout"),
                         reverse("preferences"), "/i18n/", settings.STATIC_URL, "/health/")
        return path.startswith(open_prefixes)
