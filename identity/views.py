"""The sign-in policy page of the desk's administration, and where allauth's single sign-on views need a guard."""

import logging

from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.providers.saml.utils import get_app_or_404
from allauth.socialaccount.providers.saml.views import finish_acs
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from lxml.etree import XMLSyntaxError

from core.decorators import admin_required
from core.views_helpers import run_service

from . import services
from .forms import MfaPolicyForm
from .models import MfaRequiredRole

logger = logging.getLogger(__name__)


def saml_finish_acs(request, organization_slug):
    """allauth's ACS finishing step, but a SAMLResponse that is not XML, or carries a DTD (python3-saml refuses
    those: entity expansion), is a failed login page rather than a server error."""
    try:
        return finish_acs(request, organization_slug=organization_slug)
    except (XMLSyntaxError, ValueError) as error:  # DTDForbidden and EntitiesForbidden are ValueErrors
        logger.warning("SAML response refused: %s", error)
        provider = get_app_or_404(request, organization_slug).get_provider(request)
        return render_authentication_error(request, provider, exception=error)


@admin_required
@require_http_methods(["GET", "POST"])
def mfa_policy(request):
    """Administrators choose the roles that must use a second factor."""
    current = sorted(MfaRequiredRole.objects.values_list("role", flat=True))
    form = MfaPolicyForm(request.POST or None, initial={"roles": current})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            result, status = run_service(request, lambda: services.set_mfa_required_roles(
                actor=request.user, roles=form.cleaned_data["roles"]), form)
            if result is not None:
                messages.success(request, _("The sign-in policy was saved. It applies from each person's next "
                                            "sign-in."))
                return redirect("administration:sign-in")
        else:
            status = 400
    return render(request, "identity/mfa_policy.html", {"form": form}, status=status)
