"""Single sign-on through OpenID Connect against a real provider on loopback (django-oauth-toolkit in its own process).

The portal runs in the test client; the person's browser is played by a `requests` session at the IdP. The portal
fetches the IdP's discovery document and exchanges the code over real HTTP.
"""

import json
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from allauth.socialaccount.models import SocialApp
from django.test import Client
from django.urls import reverse

from core.models import User
from core.roles import Role, roles_of
from identity.models import IdpGroupRole
from tests.processes import ROOT
from tests.sso_helpers import free_port, key_and_certificate

pytestmark = pytest.mark.django_db
CALLBACK = "http://testserver/accounts/oidc/corp/login/callback/"


@pytest.fixture
def idp(tmp_path):
    """The IdP's base URL; it knows alice (group itsm-agents, organisation acme) and bob (no portal group)."""
    port = free_port()
    setup = tmp_path / "idp.json"
    setup.write_text(json.dumps({
        "port": port, "client_id": "itsm-portal", "client_secret": "portal-secret", "redirect_uri": CALLBACK,
        "people": [
            {"username": "alice", "password": "alice-pass", "email": "alice@acme.example", "first_name": "Alice",
             "organisation": "acme", "groups": ["itsm-agents", "staff"]},
            {"username": "bob", "password": "bob-pass", "email": "bob@else.example", "organisation": "nowhere"},
        ],
    }))
    key_pem, _cert = key_and_certificate()
    log = (tmp_path / "idp.log").open("w+b")
    env = {"PATH": "/usr/bin:/bin", "IDP_DATABASE": str(tmp_path / "idp.sqlite3"), "IDP_RSA_PRIVATE_KEY": key_pem}
    proc = subprocess.Popen([sys.executable, "-m", "tests.idp.oidc_server", str(setup)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=log)
    try:
        line = proc.stdout.readline()
        if line.strip() != b"ready":
            log.seek(0)
            raise AssertionError(f"the test IdP did not start: {log.read().decode()[-3000:]}")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


@pytest.fixture
def corp_app(idp, cast):
    app = SocialApp.objects.create(
        provider="openid_connect", provider_id="corp", name="Corporate login", client_id="itsm-portal",
        secret="portal-secret", settings={"server_url": f"{idp}/o", "default_organisation": "globex"},
    )
    IdpGroupRole.objects.create(provider="corp", group="itsm-agents", role=Role.AGENT)
    return app


def authorisation_request(client):
    """Press "Log in with Corporate login" on the portal's login page: the IdP URL the browser is sent to."""
    page = client.get(reverse("login")).content.decode()
    assert "Log in with Corporate login" in page
    response = client.post(reverse("openid_connect_login", kwargs={"provider_id": "corp"}), {"process": "login"})
    assert response.status_code == 302, response.content[:500]
    return response.url


def idp_answer(idp, authorise_url, username, password):
    """Log in at the IdP and follow the authorisation request: the callback URL it sends the browser back to."""
    browser = requests.Session()
    assert browser.post(f"{idp}/login/", {"username": username, "password": password}, timeout=10).ok
    answer = browser.get(authorise_url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:500]
    assert answer.headers["Location"].startswith(CALLBACK)
    return answer.headers["Location"]


def back_at_portal(client, callback_url):
    parts = urlsplit(callback_url)
    return client.get(f"{parts.path}?{parts.query}")


def with_query(url, **changes):
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_first_login_creates_the_person_with_the_role_of_their_group(idp, corp_app):
    client = Client()
    authorise = authorisation_request(client)
    assert parse_qs(urlsplit(authorise).query)["nonce"][0]
    response = back_at_portal(client, idp_answer(idp, authorise, "alice", "alice-pass"))
    assert response.status_code == 302, response.content[:1000]
    alice = User.objects.get(username="alice")
    assert client.session["_auth_user_id"] == str(alice.pk)
    assert roles_of(alice) == {Role.AGENT}
    assert alice.organisation.code == "acme" and alice.email == "alice@acme.example"
    assert not alice.has_usable_password()
    assert client.get(reverse("incidents:queue")).status_code == 200


def test_roles_follow_the_mapping_at_each_login(idp, corp_app):
    first = Client()
    back_at_portal(first, idp_answer(idp, authorisation_request(first), "alice", "alice-pass"))
    IdpGroupRole.objects.filter(group="itsm-agents").update(role=Role.TEAM_LEAD)
    IdpGroupRole.objects.create(provider="", group="staff", role=Role.MANAGER)
    second = Client()
    back_at_portal(second, idp_answer(idp, authorisation_request(second), "alice", "alice-pass"))
    assert roles_of(User.objects.get(username="alice")) == {Role.TEAM_LEAD, Role.MANAGER}


def test_no_mapped_group_means_end_user_in_the_default_organisation(idp, corp_app):
    client = Client()
    back_at_portal(client, idp_answer(idp, authorisation_request(client), "bob", "bob-pass"))
    bob = User.objects.get(username="bob")
    assert roles_of(bob) == {Role.END_USER} and bob.organisation.code == "globex"
    assert client.get(reverse("incidents:queue")).status_code == 403


def test_a_wrong_state_logs_nobody_in(idp, corp_app):
    client = Client()
    callback = idp_answer(idp, authorisation_request(client), "alice", "alice-pass")
    response = back_at_portal(client, with_query(callback, state="forged-state"))
    assert response.status_code == 401 and b"Third-Party Login Failure" in response.content
    assert "_auth_user_id" not in client.session and not User.objects.filter(username="alice").exists()


def test_a_token_for_another_nonce_logs_nobody_in(idp, corp_app):
    """The IdP answers an authorisation request whose nonce is not the one this browser's login sent (a token
    minted for another login, replayed): the portal refuses it."""
    client = Client()
    authorise = with_query(authorisation_request(client), nonce="someone-elses-nonce")
    response = back_at_portal(client, idp_answer(idp, authorise, "alice", "alice-pass"))
    assert response.status_code == 401 and b"Third-Party Login Failure" in response.content
    assert "_auth_user_id" not in client.session and not User.objects.filter(username="alice").exists()


def test_local_accounts_still_log_in_with_a_password(idp, corp_app, cast):
    response = Client().post(reverse("login"), {"username": "agent", "password": "secret-pass-123"})
    assert response.status_code == 302


def test_a_single_sign_on_user_held_for_mfa_sets_it_up_without_a_password(transactional_db, idp, corp_app):
    """People from an IdP have no password here: setting up a factor must not ask for one, or they would be stuck."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    from identity.models import MfaRequiredRole

    MfaRequiredRole.objects.create(role=Role.AGENT)
    client = Client()
    back_at_portal(client, idp_answer(idp, authorisation_request(client), "alice", "alice-pass"))
    assert client.get(reverse("incidents:queue")).url == reverse("preferences") + "#mfa"
    setup = client.get(reverse("mfa_activate_totp"))
    assert setup.status_code == 200
    secret = setup.context["form"].secret
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    assert client.post(reverse("mfa_activate_totp"), {"code": code}).status_code == 302
    assert client.get(reverse("incidents:queue")).status_code == 200


@pytest.mark.parametrize("query", ["", "state=", "error=access_denied", "code=x&state=nonexistent", "code=&state="])
def test_a_malformed_callback_signs_nobody_in(idp, corp_app, query):
    client = Client()
    authorisation_request(client)
    response = client.get(f"/accounts/oidc/corp/login/callback/?{query}")
    assert response.status_code == 401 and "_auth_user_id" not in client.session


def test_a_code_the_idp_never_issued_signs_nobody_in(idp, corp_app):
    client = Client()
    callback = idp_answer(idp, authorisation_request(client), "alice", "alice-pass")
    response = back_at_portal(client, with_query(callback, code="made-up-code"))
    assert response.status_code == 401 and "_auth_user_id" not in client.session


def test_a_deactivated_person_cannot_sign_in_through_single_sign_on(idp, corp_app):
    """An administrator deactivated alice: the IdP still vouches for her, the portal must not let her in."""
    first = Client()
    back_at_portal(first, idp_answer(idp, authorisation_request(first), "alice", "alice-pass"))
    assert "_auth_user_id" in first.session
    User.objects.filter(username="alice").update(is_active=False)
    client = Client()
    back_at_portal(client, idp_answer(idp, authorisation_request(client), "alice", "alice-pass"))
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("incidents:queue")).status_code == 302
