"""Security headers and cookies as production answers them.

The production values are read from the real settings module in a subprocess
(DEBUG=0, as deployed), then applied to requests through the test client; HTTPS
is signalled the way the TLS proxy does it, with X-Forwarded-Proto.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
SECURITY_SETTINGS = [
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "SECURE_CSP",
    "X_FRAME_OPTIONS",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SECURE",
    "MIDDLEWARE",
]


@pytest.fixture(scope="module")
def production():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="portal.example.jp", TESTING="0")
    env["DJANGO_SETTINGS_MODULE"] = "kumagaya_portal.settings"
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{k: getattr(settings, k, None) for k in {SECURITY_SETTINGS!r}}}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    values = json.loads(out.stdout.strip().splitlines()[-1])
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    assert values.pop("DEBUG") is False
    return values


@pytest.fixture
def prod(production, settings):
    # `settings`: undone in order with any other override of the test.
    for name, value in {**production, "ALLOWED_HOSTS": ["portal.example.jp"]}.items():
        setattr(settings, name, value)


def https_client(**kwargs) -> Client:
    return Client(HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="portal.example.jp", **kwargs)


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https(prod):
    response = Client(HTTP_HOST="portal.example.jp").get("/lab/")
    assert response.status_code == 301
    assert response["Location"] == "https://portal.example.jp/lab/"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/lab/", "/archive/", "/accounts/login/"])
def test_every_page_carries_the_security_headers(prod, city, path):
    response = https_client().get(path)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = {
        part.split()[0]: part.split()[1:] for part in response["Content-Security-Policy"].split("; ") if part.strip()
    }
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]


@pytest.mark.django_db
def test_cookies_are_secure_and_the_session_cookie_is_http_only(prod, citizen):
    client = https_client()
    page = client.get("/accounts/login/")
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] is True
    response = client.post(
        "/accounts/login/",
        {"login": citizen.email, "password": "pw-kumagaya-2024", "csrfmiddlewaretoken": csrf.value},
        HTTP_REFERER="https://portal.example.jp/accounts/login/",
    )
    assert response.status_code == 302, response.content[:500]
    session = response.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


@pytest.mark.django_db
def test_inline_scripts_need_the_per_response_nonce(prod):
    first = https_client().get("/lab/")["Content-Security-Policy"]
    second = https_client().get("/lab/")["Content-Security-Policy"]
    script_src = next(p for p in first.split("; ") if p.startswith("script-src"))
    assert script_src.startswith("script-src 'self'")
    nonces = [
        [w for w in h.split() if w.startswith("'nonce-")] for h in (first, second) if "'nonce-" in h
    ]  # a nonce appears only on pages that use one; when it does it differs per response
    if len(nonces) == 2:
        assert nonces[0] != nonces[1]
