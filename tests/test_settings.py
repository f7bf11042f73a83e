import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_python(code, **env):
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=60
    )


SETUP = (
    "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','kumagaya_portal.settings'); django.setup(); "
)


def test_production_refuses_to_start_without_secret_key():
    result = run_python(SETUP, DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_embedded_default_needs_no_service():
    code = SETUP + (
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], s.CELERY_TASK_ALWAYS_EAGER, "
        "s.MAILERS['default']['BACKEND'], s.LANGUAGE_CODE, s.TIME_ZONE)"
    )
    out = run_python(code).stdout.split()
    assert out == [
        "django.db.backends.sqlite3",
        "django.core.cache.backends.locmem.LocMemCache",
        "True",
        "kumagaya_portal.mail.ReadableConsoleBackend",  # console, decoded for humans
        "ja",
        "Asia/Tokyo",
    ]


def test_production_settings_use_the_environment():
    code = SETUP + (
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], s.CELERY_TASK_ALWAYS_EAGER, s.DEBUG)"
    )
    result = run_python(
        code,
        DEBUG="0",
        SECRET_KEY="x" * 60,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "kumagaya_portal.cache.ResilientRedisCache",  # RedisCache that degrades to misses
        "False",
        "False",
    ]


def test_settings_raise_no_django_deprecation_warning():
    code = (
        "import warnings; from django.utils.deprecation import RemovedInDjango2028Warning; "
        "warnings.simplefilter('error', RemovedInDjango2028Warning); " + SETUP + "from django.core import mail; "
        "mail.mailers.default; print('ok')"
    )
    for env in ({}, {"DEBUG": "0", "SECRET_KEY": "x" * 60, "EMAIL_HOST": "smtp.example.jp"}):
        result = run_python(code, **env)
        assert result.stdout.strip() == "ok", result.stderr


def test_email_environment_variables_configure_the_default_mailer():
    code = SETUP + (
        "from django.core import mail; m = mail.mailers.default; "
        "print(type(m).__module__, m.host, m.port, m.username, m.use_tls, m.timeout)"
    )
    result = run_python(
        code,
        DEBUG="0",
        SECRET_KEY="x" * 60,
        EMAIL_HOST="smtp.city.example.jp",
        EMAIL_PORT="587",
        EMAIL_HOST_USER="portal",
        EMAIL_HOST_PASSWORD="secret",
        EMAIL_USE_TLS="1",
    )
    assert result.stdout.split() == [
        "django.core.mail.backends.smtp",
        "smtp.city.example.jp",
        "587",
        "portal",
        "True",
        "10",
    ]
