"""Single sign-on through SAML 2.0: real assertions, signed here with a key made for the test (xmlsec through
python3-saml's own signing), posted to the portal's assertion consumer service as an IdP's page would post them.

A good signed assertion signs the person in with the role of their group; an unsigned one, one signed by another key,
an expired one, or one for another audience signs nobody in.
"""

import base64
import datetime
import uuid
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.socialaccount.models import SocialApp
from django.test import Client
from django.urls import reverse
from lxml import etree
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from core.models import User
from core.roles import Role, roles_of
from identity.models import IdpGroupRole
from tests.sso_helpers import key_and_certificate

pytestmark = pytest.mark.django_db
IDP = "https://idp.acme.example/saml"
ACS = "http://testserver/accounts/saml/acme/acs/"
SP = "http://testserver/accounts/saml/acme/metadata/"


@pytest.fixture(scope="module")
def idp_key():
    return key_and_certificate("idp.acme.example")


@pytest.fixture
def saml_app(idp_key, cast):
    IdpGroupRole.objects.create(group="Service Desk", role=Role.AGENT)
    return SocialApp.objects.create(
        provider="saml", provider_id="acme", name="Acme SSO", client_id="acme",
        settings={
            "idp": {"entity_id": IDP, "sso_url": f"{IDP}/sso", "x509cert": idp_key[1]},
            "attribute_mapping": {"uid": "uid", "username": "uid", "email": "mail", "first_name": "givenName"},
            "advanced": {"want_assertion_signed": True, "allow_single_label_domains": True},
            "groups_claim": "memberOf",
        },
    )


def browser():
    """A test client that sends a Host header, as every browser does (python3-saml reads it)."""
    return Client(headers={"host": "testserver"})


def when(delta_minutes=0):
    moment = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=delta_minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def start_login(client):
    """Press "Log in with Acme SSO": the AuthnRequest's id, which the IdP's answer must be in response to."""
    assert "Log in with Acme SSO" in client.get(reverse("login")).content.decode()
    response = client.post(reverse("saml_login", kwargs={"organization_slug": "acme"}), {"process": "login"})
    assert response.status_code == 302 and response.url.startswith(f"{IDP}/sso")
    request_xml = zlib.decompress(base64.b64decode(parse_qs(urlsplit(response.url).query)["SAMLRequest"][0]), -15)
    return etree.fromstring(request_xml).get("ID")


def assertion_xml(request_id, *, audience=SP, not_on_or_after=None, groups=("Service Desk",), uid="carol"):
    not_on_or_after = not_on_or_after or when(5)
    attributes = {"uid": [uid], "mail": [f"{uid}@acme.example"], "givenName": ["Carol"], "memberOf": list(groups)}
    values = "".join(
        f'<saml:Attribute Name="{name}">'
        + "".join(f"<saml:AttributeValue>{value}</saml:AttributeValue>" for value in items)
        + "</saml:Attribute>"
        for name, items in attributes.items()
    )
    return (
        f'<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_{uuid.uuid4().hex}" '
        f'Version="2.0" IssueInstant="{when()}">'
        f"<saml:Issuer>{IDP}</saml:Issuer>"
        f'<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{uid}</saml:NameID>'
        f'<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData NotOnOrAfter="{not_on_or_after}" Recipient="{ACS}" '
        f'InResponseTo="{request_id}"/>'
        f"</saml:SubjectConfirmation></saml:Subject>"
        f'<saml:Conditions NotBefore="{when(-5)}" NotOnOrAfter="{not_on_or_after}">'
        f"<saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>"
        f"</saml:Conditions>"
        f'<saml:AuthnStatement AuthnInstant="{when()}" SessionIndex="_s{uuid.uuid4().hex}">'
        f"<saml:AuthnContext><saml:AuthnContextClassRef>"
        f"urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>"
        f"</saml:AuthnContext></saml:AuthnStatement>"
        f"<saml:AttributeStatement>{values}</saml:AttributeStatement>"
        f"</saml:Assertion>"
    )


def signed(assertion, key):
    return OneLogin_Saml2_Utils.add_sign(assertion, key[0], key[1], sign_algorithm=OneLogin_Saml2_Constants.RSA_SHA256,
                                         digest_algorithm=OneLogin_Saml2_Constants.SHA256).decode()


def response_xml(request_id, assertion):
    assertion = assertion.removeprefix('<?xml version="1.0"?>\n')
    return (
        f'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_{uuid.uuid4().hex}" Version="2.0" '
        f'IssueInstant="{when()}" Destination="{ACS}" InResponseTo="{request_id}">'
        f"<saml:Issuer>{IDP}</saml:Issuer>"
        f'<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
        f"{assertion}</samlp:Response>"
    )


def post_to_acs(client, xml):
    """The IdP's auto-submitting form: POST to the ACS, which hands over to its finishing step."""
    posted = client.post(reverse("saml_acs", kwargs={"organization_slug": "acme"}),
                         {"SAMLResponse": base64.b64encode(xml.encode()).decode()})
    assert posted.status_code == 302
    return client.get(posted.url)


def test_a_signed_assertion_signs_the_person_in_with_their_groups_role(saml_app, idp_key):
    client = browser()
    request_id = start_login(client)
    response = post_to_acs(client, response_xml(request_id, signed(assertion_xml(request_id), idp_key)))
    assert response.status_code == 302, response.content[:1000]
    carol = User.objects.get(username="carol")
    assert client.session["_auth_user_id"] == str(carol.pk)
    assert roles_of(carol) == {Role.AGENT} and carol.email == "carol@acme.example"
    assert client.get(reverse("incidents:queue")).status_code == 200


def refused(client, response):
    assert response.status_code == 401 and b"Third-Party Login Failure" in response.content
    assert "_auth_user_id" not in client.session and not User.objects.filter(username="carol").exists()
    return True


def test_an_unsigned_assertion_is_refused(saml_app):
    client = browser()
    request_id = start_login(client)
    assert refused(client, post_to_acs(client, response_xml(request_id, assertion_xml(request_id))))


def test_an_assertion_signed_by_another_key_is_refused(saml_app):
    client = browser()
    request_id = start_login(client)
    forged = signed(assertion_xml(request_id), key_and_certificate("attacker"))
    assert refused(client, post_to_acs(client, response_xml(request_id, forged)))


def test_an_expired_assertion_is_refused(saml_app, idp_key):
    client = browser()
    request_id = start_login(client)
    stale = signed(assertion_xml(request_id, not_on_or_after=when(-10)), idp_key)
    assert refused(client, post_to_acs(client, response_xml(request_id, stale)))


def test_an_assertion_for_another_audience_is_refused(saml_app, idp_key):
    client = browser()
    request_id = start_login(client)
    elsewhere = signed(assertion_xml(request_id, audience="https://other-app.example/saml"), idp_key)
    assert refused(client, post_to_acs(client, response_xml(request_id, elsewhere)))


def test_an_altered_signed_assertion_is_refused(saml_app, idp_key):
    client = browser()
    request_id = start_login(client)
    tampered = signed(assertion_xml(request_id, groups=("Staff",)), idp_key).replace("Staff", "Service Desk")
    assert refused(client, post_to_acs(client, response_xml(request_id, tampered)))


@pytest.mark.parametrize("posted", [
    {},
    {"SAMLResponse": "%%% not base64 %%%"},
    {"SAMLResponse": base64.b64encode(b"not xml at all").decode()},
    {"SAMLResponse": base64.b64encode(b"<p:Response xmlns:p='urn:oasis:names:tc:SAML:2.0:protocol'/>").decode()},
    {"SAMLResponse": base64.b64encode(
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><x>&b;</x>'
    ).decode()},
])
def test_malformed_posts_to_the_acs_sign_nobody_in(saml_app, posted):
    client = browser()
    start_login(client)
    handed_over = client.post(reverse("saml_acs", kwargs={"organization_slug": "acme"}), posted)
    assert refused(client, client.get(handed_over.url))


def test_an_unknown_organisation_is_not_found(saml_app):
    assert browser().post("/accounts/saml/nobody/acs/", {"SAMLResponse": "x"}).status_code in (302, 404)
    assert browser().get("/accounts/saml/nobody/acs/finish/").status_code == 404
