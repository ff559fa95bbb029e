"""Production mode is checked in a subprocess, with a clean environment like a real deploy."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO"))}
    for name in (
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "POSTIGO_ENCRYPTION_KEYS",
        "DEBUG",
        "PUBLIC_BASE_URL",
    ):
        base.pop(name, None)
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env() -> dict[str, str]:
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "example.com",
        "PUBLIC_BASE_URL": "https://example.com",
        "POSTIGO_ENCRYPTION_KEYS": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
    }


def test_check_deploy_is_clean_in_production():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **production_env())
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_secrets():
    result = run_manage("check", DEBUG="false")
    assert result.returncode != 0
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "POSTIGO_ENCRYPTION_KEYS"):
        assert name in result.stderr


def test_production_refuses_to_start_without_its_public_address():
    env = production_env()
    del env["PUBLIC_BASE_URL"]
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "PUBLIC_BASE_URL" in result.stderr


def test_development_links_follow_the_port_make_run_serves():
    code = "from django.conf import settings; print(settings.PUBLIC_BASE_URL)"
    result = run_manage("shell", "-c", code, DEBUG="true", POSTIGO_PORT="9000")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "http://localhost:9000"


def test_production_refuses_a_short_secret_key():
    env = production_env() | {"SECRET_KEY": "too-short"}
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "at least 50 random characters" in result.stderr


def test_production_refuses_a_malformed_encryption_key():
    env = production_env() | {
        "POSTIGO_ENCRYPTION_KEYS": "k1:" + base64.b64encode(b"short").decode()
    }
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "must be 32 bytes" in result.stderr


def test_a_pytest_variable_on_a_production_host_does_not_switch_to_development():
    result = run_manage("check", PYTEST_VERSION="8.3.0", PYTEST_CURRENT_TEST="x")
    assert result.returncode != 0
    assert "Production mode (DEBUG is off) needs these environment variables" in result.stderr
