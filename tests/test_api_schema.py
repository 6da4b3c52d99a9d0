"""The OpenAPI schema is generated without a warning, validates, and is published with a docs page that loads its
assets from this server (the drf-spectacular sidecar), never from a CDN.
"""

import re

from django.core.management import call_command


def test_schema_generates_without_warnings_and_validates(db, tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    for path in ("/api/v1/incidents/{number}/transition/", "/api/v1/incidents/{number}/comments/",
                 "/api/v1/incidents/{number}/history/", "/api/v1/incidents/{number}/merge/",
                 "/api/v1/attachments/{id}/download/", "/api/v1/priority-matrix/{id}/", "/api/v1/me/"):
        assert f"{path}:" in text


def test_schema_endpoint_serves_openapi(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/incidents/" in schema["paths"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_docs_page_loads_its_assets_from_the_sidecar(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"cdn|jsdelivr|unpkg|googleapis", html, re.IGNORECASE)
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets), assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
