"""Where allauth's single sign-on views need a guard of the portal's."""

import logging

from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.providers.saml.utils import get_app_or_404
from allauth.socialaccount.providers.saml.views import finish_acs
from lxml.etree import XMLSyntaxError

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
