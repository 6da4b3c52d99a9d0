"""In headless Chromium with a virtual security key (DevTools' WebAuthn domain): an agent whose role requires a second
factor is held on Preferences, registers a key there, works the desk, and next time signs in with the key."""

from core.roles import Role
from identity.models import MfaRequiredRole
from tests.browser import BROWSER_TESTS, log_in
from tests.factories import PASSWORD, UserFactory

pytestmark = BROWSER_TESTS


def with_virtual_security_key(page):
    """A USB security key that is plugged in and touched whenever a page asks for it."""
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    key = devtools.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "usb", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True,
    }})
    return lambda: devtools.send("WebAuthn.getCredentials", key)["credentials"]


def test_required_security_key_registered_then_used_to_sign_in(live_server, browser, transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    UserFactory(username="bob", organisation=None, role=Role.AGENT)
    MfaRequiredRole.objects.create(role=Role.AGENT)
    base = live_server.url
    page = browser.new_context().new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    credentials_on_key = with_virtual_security_key(page)

    log_in(page, base, "bob")
    page.wait_for_selector("[data-testid=mfa-section]")
    assert "Your role requires two-factor authentication" in page.inner_text("[data-testid=mfa-section]")
    page.click("nav button:has-text('Incidents')")
    page.click("nav >> text=Incident queue")  # the desk stays closed until a factor is set up
    page.wait_for_selector("[data-testid=mfa-section]")

    page.click("text=Add a security key")
    page.fill("#id_password", PASSWORD)  # confirming the password before a sensitive change
    page.click("main button[type=submit]")
    page.click("#mfa_webauthn_add")
    page.wait_for_url(lambda url: "/webauthn/add/" not in url)
    assert len(credentials_on_key()) == 1
    page.click("[data-testid=user-menu]")  # Preferences
    assert page.inner_text("[data-testid=mfa-keys]") == "1 key"
    page.click("nav button:has-text('Incidents')")
    page.click("nav >> text=Incident queue")
    page.wait_for_selector("[data-testid=queue-table]")

    page.click("nav button:has-text('Log out')")
    log_in(page, base, "bob")
    page.wait_for_selector("#mfa_webauthn_authenticate")
    page.click("#mfa_webauthn_authenticate")
    page.wait_for_selector("[data-testid=queue-table]")
    assert credentials_on_key()[0]["signCount"] >= 1  # the key was used to sign in
    assert errors == []

