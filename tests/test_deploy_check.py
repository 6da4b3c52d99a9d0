"""Production mode passes `manage.py check --deploy` without a single warning, and refuses to start half-configured."""

import os
import secrets
import subprocess
import sys

from tests.conftest import ROOT

PRODUCTION_ENV = {
    "ITSM_PRODUCTION": "1",
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "itsm.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://itsm.example.com",
}


def _manage(*args, **env):
    # The database is only named, never reached: `check` without --database makes no connection.
    # pytest-playwright sets DJANGO_ALLOW_ASYNC_UNSAFE in this process; a deployment never has it.
    base = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/itsm")
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_in_production_mode_has_no_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNING" not in output


def test_production_mode_without_secret_key_refuses_to_start():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_mode_without_allowed_hosts_refuses_to_start():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "ALLOWED_HOSTS"}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_development_mode_check_deploy_does_warn():
    """The check is not vacuous: the development defaults are what it flags."""
    result = _manage("check", "--deploy")
    assert "security.W" in result.stdout + result.stderr
