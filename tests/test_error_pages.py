"""Error pages speak Japanese and look like the site, with DEBUG off."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_404_is_japanese_and_the_same_for_private_and_missing(settings, client, city):
    settings.DEBUG = False
    private = client.get("/lab/ws-downtown-regeneration-platform/")
    missing = client.get("/lab/no-such-channel/")
    assert private.status_code == missing.status_code == 404
    for response in (private, missing):
        body = response.content.decode()
        assert "ページが見つかりません" in body and "Not Found" not in body

    def shape(response, slug):
        return re.sub(r'value="[A-Za-z0-9]{64}"', "", response.content.decode().replace(slug, "X"))

    assert shape(private, "ws-downtown-regeneration-platform") == shape(missing, "no-such-channel")


def test_csrf_failure_is_japanese(settings, city):
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"login": "a@example.jp", "password": "x"})
    assert response.status_code == 403
    assert "送信できませんでした" in response.content.decode()
