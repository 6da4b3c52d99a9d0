"""Second factors (django-allauth): TOTP, recovery codes and security keys, the per-role requirement, and throttling.

Codes are computed here from the enrolled secret, as an authenticator app would; every login goes through the pages.
"""

import json
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from core.models import User
from identity.models import MfaRequiredRole
from tests.factories import PASSWORD
from tests.sso_helpers import free_port

pytestmark = pytest.mark.django_db


def code_for(secret, offset=0):
    """The code an authenticator app shows now (offset: periods from now)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


def log_in(client, user, password=PASSWORD):
    return client.post(reverse("login"), {"username": user.username, "password": password})


def confirm_password(client, user):
    """Adding a factor asks for the password again (allauth's re-authentication), as a person would type it."""
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302, response.content[:500]


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def with_totp(user):
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


class TestTotp:
    def test_enrol_from_preferences_then_log_in_with_a_code(self, cast):
        client = Client()
        assert log_in(client, cast.agent).status_code == 302
        page = client.get(reverse("preferences"))
        assert b"Set up an authenticator app" in page.content
        asks = client.get(reverse("mfa_activate_totp"))
        assert asks.status_code == 302 and asks.url.startswith(reverse("account_reauthenticate"))
        confirm_password(client, cast.agent)
        setup = client.get(reverse("mfa_activate_totp"))
        assert setup.status_code == 200
        secret = setup.context["form"].secret
        assert secret in setup.content.decode()  # shown for typing into an app, beside the QR code

        wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000" if code_for(secret) != "000000" else "1"})
        assert wrong.status_code == 200 and not Authenticator.objects.filter(user=cast.agent).exists()
        done = client.post(reverse("mfa_activate_totp"), {"code": code_for(secret)})
        assert done.status_code == 302
        kinds = set(Authenticator.objects.filter(user=cast.agent).values_list("type", flat=True))
        assert kinds == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}  # codes come with the app
        assert b"Active" in client.get(reverse("preferences")).content

        client.post(reverse("logout"))
        client = Client()
        step = log_in(client, cast.agent)
        assert step.status_code == 302 and step.url == reverse("mfa_authenticate")
        assert not signed_in_as(client)  # the password alone signs nobody in
        assert client.get(reverse("incidents:queue")).status_code == 302
        finished = client.post(reverse("mfa_authenticate"), {"code": code_for(secret)})
        assert finished.status_code == 302
        assert signed_in_as(client) == str(cast.agent.pk)
        assert client.get(reverse("incidents:queue")).status_code == 200

    def test_a_code_is_good_only_once(self, cast):
        secret = with_totp(cast.agent)
        first, second = Client(), Client()
        log_in(first, cast.agent)
        log_in(second, cast.agent)
        code = code_for(secret)
        first.post(reverse("mfa_authenticate"), {"code": code})
        replay = second.post(reverse("mfa_authenticate"), {"code": code})
        assert signed_in_as(first) and not signed_in_as(second)
        assert replay.status_code == 200 and b"Incorrect code" in replay.content

    def test_wrong_codes_are_throttled_like_wrong_passwords(self, cast, settings):
        secret = with_totp(cast.agent)
        client = Client()
        log_in(client, cast.agent)
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            response = client.post(reverse("mfa_authenticate"), {"code": "12345x"})
            assert response.status_code == 200 and b"Incorrect code" in response.content
        locked = client.post(reverse("mfa_authenticate"), {"code": "12345x"})
        assert locked.status_code == 429 and b"Too many failed logins" in locked.content
        # Even the right code is refused while the lock-out lasts, and so is the right password.
        again = client.post(reverse("mfa_authenticate"), {"code": code_for(secret)})
        assert again.status_code == 429 and not signed_in_as(client)
        assert log_in(Client(), cast.agent).status_code == 429

    def test_the_code_form_is_translated(self, cast):
        with_totp(cast.agent)
        cast.agent.language = "zh-hans"
        cast.agent.save()
        client = Client(headers={"accept-language": "zh-hans"})
        log_in(client, cast.agent)
        page = client.get(reverse("mfa_authenticate")).content.decode()
        assert "双因素身份认证" in page and "请输入身份验证器代码" in page


    def test_with_the_cache_down_recovery_codes_still_sign_in(self, cast, settings):
        """Redis down: a TOTP code cannot be marked as used, so it is refused with a sentence, never a 500; a recovery
        code (kept in the database) still signs the person in."""
        secret = with_totp(cast.agent)
        codes = RecoveryCodes.activate(cast.agent).generate_codes()
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                       "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}}  # nothing listens there
        client = Client()
        log_in(client, cast.agent)
        refused = client.post(reverse("mfa_authenticate"), {"code": code_for(secret)})
        assert refused.status_code == 200 and b"cannot be checked at the moment" in refused.content
        assert not signed_in_as(client)
        client.post(reverse("mfa_authenticate"), {"code": codes[0]})
        assert signed_in_as(client) == str(cast.agent.pk)


class TestRecoveryCodes:
    def test_log_in_with_a_recovery_code_once(self, cast):
        with_totp(cast.agent)
        codes = RecoveryCodes.activate(cast.agent).generate_codes()
        client = Client()
        log_in(client, cast.agent)
        client.post(reverse("mfa_authenticate"), {"code": codes[0]})
        assert signed_in_as(client) == str(cast.agent.pk)

        page = client.get(reverse("preferences")).content.decode()
        assert f"{len(codes) - 1} unused codes" in page
        client.post(reverse("logout"))
        again = Client()
        log_in(again, cast.agent)
        reused = again.post(reverse("mfa_authenticate"), {"code": codes[0]})
        assert reused.status_code == 200 and not signed_in_as(again)

    def test_view_and_regenerate_from_preferences(self, cast):
        secret = with_totp(cast.agent)
        old = RecoveryCodes.activate(cast.agent).generate_codes()
        client = Client()
        log_in(client, cast.agent)
        client.post(reverse("mfa_authenticate"), {"code": code_for(secret)})
        preferences = client.get(reverse("preferences")).content.decode()
        assert reverse("mfa_view_recovery_codes") in preferences
        confirm_password(client, cast.agent)
        assert old[1] in client.get(reverse("mfa_view_recovery_codes")).content.decode()
        assert client.post(reverse("mfa_generate_recovery_codes")).status_code == 302
        shown = client.get(reverse("mfa_view_recovery_codes")).content.decode()
        assert old[1] not in shown
        new = Authenticator.objects.get(user=cast.agent, type=Authenticator.Type.RECOVERY_CODES).wrap()
        assert new.get_unused_codes()[0] in shown


class TestRoleRequirement:
    def test_a_role_that_requires_mfa_is_sent_to_set_it_up(self, transactional_db, cast):
        """(Transactional: allauth announces a new factor after commit, within the request, as in production.)"""
        MfaRequiredRole.objects.create(role="agent")
        client = Client()
        response = log_in(client, cast.agent)
        assert signed_in_as(client)
        landing = client.get(response.url, follow=True)
        assert landing.redirect_chain[-1][0] == reverse("preferences") + "#mfa"
        assert b"Your role requires two-factor authentication" in landing.content
        assert client.get(reverse("incidents:queue")).status_code == 302
        assert client.get("/api/v1/incidents/").status_code == 403  # the API through the session too

        # The API with a token carries no session and is not affected.
        token = Token.objects.create(user=cast.agent)
        api = Client(headers={"authorization": f"Token {token.key}"})
        assert api.get("/api/v1/incidents/").status_code == 200
        # Nor is a personal scoped token the agent made before the requirement.
        from apitokens.services import create_token

        _token, key = create_token(actor=cast.agent, name="ci", scopes=["read", "incidents"])
        personal = Client(headers={"authorization": f"Bearer {key}"})
        assert personal.get("/api/v1/incidents/").status_code == 200

        confirm_password(client, cast.agent)
        secret = client.get(reverse("mfa_activate_totp")).context["form"].secret
        client.post(reverse("mfa_activate_totp"), {"code": code_for(secret)})
        assert client.get(reverse("incidents:queue")).status_code == 200

    def test_htmx_fragments_stay_empty_while_held(self, cast):
        MfaRequiredRole.objects.create(role="agent")
        client = Client()
        log_in(client, cast.agent)
        badge = client.get(reverse("notifications-unread"), headers={"hx-request": "true"})
        assert badge.status_code == 204 and badge.content == b""

    def test_administrators_edit_the_rules_in_the_admin(self, cast):
        cast.admin.is_staff = cast.admin.is_superuser = True  # as the demo administrator
        cast.admin.save()
        client = Client()
        client.force_login(cast.admin)
        for page in ("admin:identity_mfarequiredrole_changelist", "admin:identity_idpgrouprole_changelist",
                     "admin:identity_mfarequiredrole_add", "admin:socialaccount_socialapp_add"):
            assert client.get(reverse(page)).status_code == 200, page
        client.post(reverse("admin:identity_mfarequiredrole_add"), {"role": "manager"})
        assert list(MfaRequiredRole.objects.values_list("role", flat=True)) == ["manager"]

    def test_other_roles_and_people_with_a_factor_are_not_held(self, cast):
        MfaRequiredRole.objects.create(role="agent")
        with_totp(cast.agent2)
        end_user = Client()
        log_in(end_user, cast.end_user)
        assert end_user.get(reverse("portal:home")).status_code == 200
        agent2 = Client()
        log_in(agent2, cast.agent2)
        assert not signed_in_as(agent2)  # asked for the code, as anyone with a factor is


def test_nobody_signs_themselves_up(db):
    response = Client().post(reverse("account_signup"), {"username": "mallory", "password1": "x-Very-long-pass-9"})
    assert response.status_code == 200 and b"Sign Up Closed" in response.content
    assert not User.objects.filter(username="mallory").exists()


class TestSecurityKeys:
    def test_registration_options_name_this_site_and_a_bogus_key_is_refused(self, cast):
        client = Client()
        log_in(client, cast.agent)
        confirm_password(client, cast.agent)
        page = client.get(reverse("mfa_add_webauthn"))
        assert page.status_code == 200
        options = page.context["js_data"]["creation_options"]["publicKey"]
        assert options["rp"]["id"] == "testserver" and options["challenge"]
        assert options["user"]["name"] == cast.agent.email
        bogus = json.dumps({"type": "public-key", "id": "AAAA", "rawId": "AAAA", "response": {
            "clientDataJSON": "e30", "attestationObject": "oA"}})
        refused = client.post(reverse("mfa_add_webauthn"), {"name": "Key", "credential": bogus})
        assert refused.status_code == 200
        assert not Authenticator.objects.filter(user=cast.agent, type=Authenticator.Type.WEBAUTHN).exists()

    def test_a_bogus_assertion_signs_nobody_in(self, cast):
        with_totp(cast.agent)
        client = Client()
        log_in(client, cast.agent)
        page = client.get(reverse("mfa_authenticate"))
        assert page.context["webauthn_form"] is not None
        bogus = json.dumps({"type": "public-key", "id": "AAAA", "rawId": "AAAA", "response": {
            "clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA"}})
        response = client.post(reverse("mfa_authenticate"), {"credential": bogus})
        assert response.status_code == 200 and not signed_in_as(client)


@pytest.mark.parametrize("posted", [
    {"code": ""}, {"code": "1" * 5000}, {"code": "12\x0034"}, {"credential": "not json"}, {"credential": "{}"},
    {"credential": "[1, 2]"}, {"credential": json.dumps({"response": {"clientDataJSON": "!!"}})},
])
def test_bad_input_at_the_second_step_signs_nobody_in(cast, posted):
    with_totp(cast.agent)
    client = Client()
    log_in(client, cast.agent)
    response = client.post(reverse("mfa_authenticate"), posted)
    assert response.status_code == 200 and not signed_in_as(client)


@pytest.mark.parametrize("posted", [
    {"credential": "not json"}, {"credential": "[]"}, {"credential": json.dumps({"id": 1})}, {"name": "x" * 5000},
])
def test_bad_input_when_adding_a_key_adds_nothing(cast, posted):
    client = Client()
    log_in(client, cast.agent)
    confirm_password(client, cast.agent)
    assert client.post(reverse("mfa_add_webauthn"), posted).status_code == 200
    assert not Authenticator.objects.filter(user=cast.agent).exists()


class TestSignInPolicyPage:
    """Administrators (not only superusers) choose the roles that must use a second factor, in the desk."""

    def test_an_administrator_requires_mfa_for_agents_from_the_desk(self, cast):
        client = Client()
        client.force_login(cast.admin)
        page = client.get(reverse("administration:sign-in"))
        assert page.status_code == 200 and b'name="roles"' in page.content
        response = client.post(reverse("administration:sign-in"), {"roles": ["agent", "team_lead"]})
        assert response.status_code == 302
        assert sorted(MfaRequiredRole.objects.values_list("role", flat=True)) == ["agent", "team_lead"]
        client.post(reverse("administration:sign-in"), {"roles": ["agent"]})
        assert list(MfaRequiredRole.objects.values_list("role", flat=True)) == ["agent"]

        agent = Client()
        log_in(agent, cast.agent)
        assert agent.get(reverse("incidents:queue")).status_code == 302  # held until they set up a factor

    def test_an_unknown_role_is_refused_naming_the_field_and_changes_nothing(self, cast):
        MfaRequiredRole.objects.create(role="agent")
        client = Client()
        client.force_login(cast.admin)
        response = client.post(reverse("administration:sign-in"), {"roles": ["agent", "emperor"]})
        assert response.status_code == 400 and "roles" in response.context["form"].errors
        assert list(MfaRequiredRole.objects.values_list("role", flat=True)) == ["agent"]

    def test_only_administrators_see_the_policy(self, cast):
        for person in (cast.end_user, cast.agent, cast.lead, cast.manager):
            client = Client()
            client.force_login(person)
            assert client.get(reverse("administration:sign-in")).status_code == 403
            assert client.post(reverse("administration:sign-in"), {"roles": ["agent"]}).status_code == 403
        assert not MfaRequiredRole.objects.exists()


def test_allauth_mails_leave_through_the_outbox(cast, smtp_settings):
    """A password-reset mail is queued with the request (core.outbox), not sent inside it: a mail server or broker
    that is away never fails the page, and the mail leaves once a worker relays it."""
    from core import outbox

    response = Client().post(reverse("account_reset_password"), {"email": cast.agent.email})
    assert response.status_code == 302
    assert not smtp_settings.received
    assert outbox.pending().filter(key__startswith="allauth:").count() == 1
    outbox.relay()
    [mail] = smtp_settings.received
    assert mail["To"] == cast.agent.email
