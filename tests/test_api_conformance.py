"""Integrations can trust the OpenAPI schema: schemathesis fuzzes every operation against a live server on the demo
data and checks that each answer is documented (status code, content type) and matches its schema; a client
generated from the schema by openapi-python-client lists, creates and moves an incident through its states.
"""

import importlib
import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from core.models import User

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
CHECKS = "response_schema_conformance,status_code_conformance,content_type_conformance,not_a_server_error"


@pytest.fixture
def demo_token(transactional_db, settings):
    """The demo organisation (incidents, SLAs, CMDB) and an administrator's API token."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", incidents=20, quiet=True)
    call_command("seed_sla_demo", stdout=io.StringIO())
    call_command("seed_cmdb_demo", stdout=io.StringIO())
    return Token.objects.create(user=User.objects.get(username="admin")).key


def token_of(username):
    return Token.objects.get_or_create(user=User.objects.get(username=username))[0].key


@pytest.mark.skipif(not (BIN / "st").exists(), reason="schemathesis is not installed (pyproject.toml dev)")
def test_every_operation_answers_as_its_schema_says(live_server, demo_token, tmp_path):
    # Eight generated cases per operation, one worker (schemathesis threads trip hypothesis on Python 3.11): ~1 minute.
    result = subprocess.run(
        [str(BIN / "st"), "run", f"{live_server.url}/api/schema/", "--checks", CHECKS,
         "-H", f"Authorization: Token {demo_token}", "--phases", "examples,fuzzing", "-n", "8",
         "--workers", "1", "--seed", "20261203", "--generation-database", "none", "--no-color",
         "--output-truncate", "true", "--request-timeout", "20"],
        capture_output=True, text=True, cwd=tmp_path, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-15000:] + result.stderr[-3000:]


@pytest.fixture
def itsm_client(tmp_path, demo_token):
    """The package openapi-python-client generates from the schema, importable as `itsm_client`."""
    if not (BIN / "openapi-python-client").exists():
        pytest.skip("openapi-python-client is not installed (pyproject.toml dev)")
    schema = tmp_path / "schema.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(schema))
    subprocess.run(
        [str(BIN / "openapi-python-client"), "generate", "--path", str(schema), "--meta", "none",
         "--output-path", str(tmp_path / "generated" / "itsm_client")],
        check=True, capture_output=True, text=True, cwd=tmp_path, timeout=300,
        env={"PATH": f"{BIN}:/usr/bin:/bin"},  # it formats its output with ruff, when ruff is on the PATH
    )
    sys.path.insert(0, str(tmp_path / "generated"))
    try:
        yield importlib.import_module("itsm_client")
    finally:
        sys.path.remove(str(tmp_path / "generated"))
        for name in [m for m in sys.modules if m == "itsm_client" or m.startswith("itsm_client.")]:
            del sys.modules[name]


def test_a_generated_client_lists_creates_and_resolves_an_incident(itsm_client, live_server, demo_token):
    from itsm_client import AuthenticatedClient
    from itsm_client.api.incidents import (
        incidents_create,
        incidents_list,
        incidents_retrieve,
        incidents_transition_create,
    )
    from itsm_client.models import (
        IncidentActionEnum,
        IncidentCreateRequest,
        IncidentStateEnum,
        ResolutionCodeEnum,
        TransitionRequest,
    )

    # The demo agent: a member of the service desk group, so the incident can be taken.
    client = AuthenticatedClient(base_url=live_server.url, token=token_of("agent"), prefix="Token",
                                 raise_on_unexpected_status=True)
    listed = incidents_list.sync(client=client, page_size=5)
    assert listed.count > 5 and len(listed.results) == 5
    assert all(incident.number.startswith("INC-") for incident in listed.results)

    created = incidents_create.sync(client=client, body=IncidentCreateRequest(
        title="VPN drops every hour 每小时断线", description="Since this morning."))
    assert created.state == IncidentStateEnum.NEW and created.assignee is None

    steps = [
        TransitionRequest(action=IncidentActionEnum.TAKE, version=created.version),
        TransitionRequest(action=IncidentActionEnum.RESOLVE, resolution_code=ResolutionCodeEnum.SOLVED,
                          resolution_notes="Renewed the certificate."),
        TransitionRequest(action=IncidentActionEnum.CLOSE),
    ]
    states = []
    for step in steps:
        moved = incidents_transition_create.sync(created.number, client=client, body=step)
        assert hasattr(moved, "state"), (step.to_dict(), moved.to_dict())
        states.append(moved.state)
    assert states == [IncidentStateEnum.IN_PROGRESS, IncidentStateEnum.RESOLVED, IncidentStateEnum.CLOSED]
    final = incidents_retrieve.sync(created.number, client=client)
    assert final.state == IncidentStateEnum.CLOSED and final.assignee.username == "agent"
    assert final.resolution_code == ResolutionCodeEnum.SOLVED
