"""The test IdP's pages: OAuth 2 / OpenID Connect from django-oauth-toolkit, and a plain password login."""

from django.contrib.auth import authenticate, login
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.oauth2_validators import OAuth2Validator


class ClaimsValidator(OAuth2Validator):
    """Puts the person's groups, user name, e-mail and organisation (the user's last name here) in the tokens."""

    oidc_claim_scope = None  # every claim below, whatever the scope

    def get_additional_claims(self, request):
        user = request.user
        return {
            "preferred_username": user.username,
            "email": user.email,
            "given_name": user.first_name,
            "groups": sorted(user.groups.values_list("name", flat=True)),
            "organisation": user.last_name,
        }


@csrf_exempt
def password_login(request):
    if request.method == "POST":
        user = authenticate(request, username=request.POST["username"], password=request.POST["password"])
        if user is None:
            return HttpResponse("wrong password", status=403)
        login(request, user)
        return HttpResponse("signed in")
    return HttpResponse("log in")


urlpatterns = [
    path("login/", password_login),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]
