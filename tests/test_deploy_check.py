"""`manage.py check --deploy` is clean under production settings, and would catch a lapse."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def production_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS"))}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="portal.example.jp",
        DJANGO_SETTINGS_MODULE="kumagaya_portal.settings",
        TESTING="0",
    )
    env.update(extra)
    return env


def manage(*args, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=production_env(**env),
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.mark.parametrize(
    "engines",
    [
        {},
        {"REDIS_URL": "redis://127.0.0.1:6379/15", "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/kumagaya_ci"},
    ],
    ids=["embedded", "postgres+redis"],
)
def test_check_deploy_has_no_warnings(engines):
    result = manage("check", "--deploy", "--fail-level", "WARNING", **engines)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_a_protection_is_switched_off():
    result = manage("check", "--deploy", "--fail-level", "WARNING", SECURE_HSTS_SECONDS="0", SECURE_SSL_REDIRECT="0")
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout  # HSTS
    assert "security.W008" in result.stderr + result.stdout  # SSL redirect


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_gunicorn_configuration_loads_under_production_settings():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--check-config",
            "-c",
            "gunicorn.conf.py",
            "kumagaya_portal.wsgi:application",
        ],
        cwd=ROOT,
        env=production_env(WEB_CONCURRENCY="3", GUNICORN_THREADS="4"),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_logs_are_one_json_object_per_line_whatever_the_message_holds():
    import json
    import logging

    from kumagaya_portal.logging import JsonFormatter

    record = logging.LogRecord("channels", logging.ERROR, __file__, 1, 'say "%s"', ('改行\nと\\と"',), None)
    record.post_id = 42
    try:
        raise ValueError("壊れた")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["message"] == 'say "改行\nと\\と""'
    assert data["level"] == "ERROR" and data["logger"] == "channels" and data["post_id"] == 42
    assert "ValueError: 壊れた" in data["exc_info"]
    assert data["time"].endswith("+00:00")
