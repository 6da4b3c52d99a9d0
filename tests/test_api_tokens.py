"""Personal API tokens: made once and shown once, stored hashed, limited by scopes and expiry, revocable; legacy DRF
tokens keep working with every scope."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from apitokens import services
from apitokens.models import ApiToken
from tests.api_mixins import api_client, make_incident

pytestmark = pytest.mark.django_db


def bearer(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def create(client, **data):
    data.setdefault("name", "script")
    data.setdefault("scopes", ["read", "incidents"])
    return client.post("/api/v1/tokens/", data, format="json")


def test_token_lifecycle_create_use_scope_expire_revoke(cast):
    make_incident(cast)
    session = APIClient()
    session.force_login(cast.agent)
    response = create(session, scopes=["read", "incidents"])
    assert response.status_code == 201
    key = response.json()["key"]
    token_id = response.json()["id"]
    assert key.startswith(response.json()["prefix"])

    client = bearer(key)
    listed = client.get("/api/v1/incidents/")
    assert listed.status_code == 200 and listed.json()["count"] == 1
    assert ApiToken.objects.get(pk=token_id).last_used_at is not None

    refused = client.get("/api/v1/cmdb/cis/")  # a CMDB endpoint: the token holds no "cmdb"
    assert refused.status_code == 403
    assert refused.json()["required_scope"] == "cmdb" and "cmdb" in refused.json()["detail"]
    write = client.post("/api/v1/incidents/", {"title": "Via a read token"}, format="json")
    assert write.status_code == 403 and write.json()["required_scope"] == "write"

    ApiToken.objects.filter(pk=token_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = client.get("/api/v1/incidents/")
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]

    ApiToken.objects.filter(pk=token_id).update(expires_at=timezone.now() + timedelta(days=1))
    assert session.post(f"/api/v1/tokens/{token_id}/revoke/").status_code == 200
    revoked = client.get("/api/v1/incidents/")
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]


def test_secret_is_shown_once_and_stored_only_as_its_digest(cast):
    session = APIClient()
    session.force_login(cast.agent)
    key = create(session).json()["key"]
    listing = session.get("/api/v1/tokens/").json()
    assert listing["count"] == 1 and "key" not in listing["results"][0]
    secret = key.split("_", 2)[2]
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(t)::text FROM apitokens_apitoken t")
        rows = [r[0] for r in cursor.fetchall()]
        cursor.execute("SELECT row_to_json(e)::text FROM apitokens_apitokenevent e")
        rows += [r[0] for r in cursor.fetchall()]
    assert rows and not any(secret in row or key in row for row in rows)
    assert ApiToken.objects.get().digest == services.digest_of(key)


def test_write_token_with_the_practice_scope_can_log_an_incident(cast):
    _token, key = services.create_token(actor=cast.agent, name="intake", scopes=["read", "write", "incidents"])
    response = bearer(key).post("/api/v1/incidents/", {"title": "From the monitoring", "requester": cast.end_user.pk},
                                format="json")
    assert response.status_code == 201, response.json()


def test_scope_is_checked_even_where_a_viewset_sets_its_own_permissions(cast):
    # The priority matrix sets permission_classes itself; the token still needs the incidents scope.
    _token, key = services.create_token(actor=cast.admin, name="cmdb only", scopes=["read", "cmdb"])
    response = bearer(key).get("/api/v1/priority-matrix/")
    assert response.status_code == 403 and response.json()["required_scope"] == "incidents"


def test_deactivated_owner_token_is_refused(cast):
    _token, key = services.create_token(actor=cast.agent, name="x", scopes=["read"])
    cast.agent.is_active = False
    cast.agent.save()
    assert bearer(key).get("/api/v1/me/").status_code == 401


def test_unknown_personal_token_is_401(cast):
    assert bearer("itsm_deadbeef_nothing").get("/api/v1/me/").status_code == 401


@pytest.mark.parametrize("data, field", [
    ({"name": ""}, "name"),
    ({"scopes": ["incidents"]}, "scopes"),  # neither read nor write
    ({"scopes": ["read", "no-such-scope"]}, "scopes"),
    ({"expires_in_days": 0}, "expires_in_days"),
    ({"expires_in_days": 100000}, "expires_in_days"),
    ({"owner": 3}, "owner"),
])
def test_bad_token_requests_name_the_field_and_create_nothing(cast, data, field):
    session = APIClient()
    session.force_login(cast.agent)
    response = create(session, **data)
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not ApiToken.objects.exists()


def test_default_expiry_is_ninety_days_and_maximum_is_configurable(cast, settings):
    token, _key = services.create_token(actor=cast.agent, name="x", scopes=["read"])
    assert (token.expires_at - token.created_at).days in (89, 90)
    settings.API_TOKEN_MAX_DAYS = 7
    session = APIClient()
    session.force_login(cast.agent)
    assert create(session, expires_in_days=8).status_code == 400
    assert create(session, expires_in_days=7).status_code == 201


def test_a_token_cannot_mint_a_stronger_one(cast):
    _token, key = services.create_token(actor=cast.agent, name="x", scopes=["read", "write", "tokens"])
    response = create(bearer(key), scopes=["read", "write", "tokens", "cmdb"])
    assert response.status_code == 400 and "cmdb" in response.json()["scopes"][0]
    assert create(bearer(key), scopes=["read", "tokens"]).status_code == 201


def test_people_see_and_revoke_only_their_own_tokens(cast):
    token, _key = services.create_token(actor=cast.agent, name="mine", scopes=["read"])
    other = APIClient()
    other.force_login(cast.agent2)
    assert other.get("/api/v1/tokens/").json()["count"] == 0
    assert other.post(f"/api/v1/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_administrators_list_and_revoke_everyones_tokens(cast):
    token, key = services.create_token(actor=cast.agent, name="agent's", scopes=["read"])
    assert api_client(cast.manager).get("/api/v1/admin/tokens/").status_code == 403
    admin = api_client(cast.admin)  # a legacy DRF token: every scope
    listed = admin.get("/api/v1/admin/tokens/").json()
    assert [t["name"] for t in listed["results"]] == ["agent's"] and listed["results"][0]["user"]["username"] == "agent"
    assert admin.post(f"/api/v1/admin/tokens/{token.pk}/revoke/").status_code == 200
    assert bearer(key).get("/api/v1/me/").status_code == 401


def test_last_used_is_written_at_most_once_a_minute(cast):
    token, key = services.create_token(actor=cast.agent, name="x", scopes=["read"])
    client = bearer(key)
    client.get("/api/v1/me/")
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    client.get("/api/v1/me/")
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first


def test_token_endpoints_are_in_the_schema(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in ("/api/v1/tokens/", "/api/v1/tokens/{id}/revoke/", "/api/v1/admin/tokens/",
                 "/api/v1/admin/tokens/{id}/revoke/"):
        assert path in schema["paths"], path
    assert "personalToken" in schema["components"]["securitySchemes"]
