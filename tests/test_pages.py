"""The pages a visitor meets first show the city's own names; private things stay invisible;
/healthz tells a load balancer the truth."""

import pytest
from bs4 import BeautifulSoup
from django.test import override_settings
from django.urls import reverse

from channels.services import do_create_thread
from kumagaya_portal.city_data import read_city_data

SECRET_TITLE = "予算調整メモ（非公開）"
SECRET_BODY = "来年度のエリアプラットフォーム予算について、関係者間で調整中の内容です。"


@pytest.fixture(scope="module")
def data():
    return read_city_data()


def text_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return BeautifulSoup(response.content, "html.parser").get_text(" ")


def archive_text(client) -> str:
    """All pages of /archive/ (it paginates)."""
    texts, url = [], reverse("archive:index")
    for page in range(1, 20):
        response = client.get(url, {"page": page})
        texts.append(BeautifulSoup(response.content, "html.parser").get_text(" "))
        if f"page={page + 1}" not in response.content.decode():
            break
    return "\n".join(texts)


def test_home_page_shows_the_official_sections_and_the_way_in(client, city, data):
    text = text_of(client, "/")
    for section in data["official_sections"]:
        assert section["name_ja"] in text
    html = BeautifulSoup(client.get("/").content, "html.parser")
    assert html.html["lang"] == "ja"
    assert html.find("a", href=reverse("channels:lab")), "a clear entry to the Web Common Space"


def test_lab_lists_the_seven_channels_with_departments(client, city, data):
    text = text_of(client, reverse("channels:lab"))
    assert len(data["channels"]) == 7
    departments = {d["slug"]: d["name_ja"] for d in data["departments"]}
    for channel in data["channels"]:
        assert channel["name_ja"] in text
        for slug in channel["departments"]:
            assert departments[slug] in text
    # Private workspaces are not listed to an anonymous visitor.
    for workspace in data["workspaces"]:
        assert workspace["name_ja"] not in text


def test_archive_lists_the_meetings_with_undecided_dates(client, city, data):
    text = archive_text(client)
    for meeting in data["meetings"]:
        assert meeting["title"] in text
    assert "日程未定" in text
    for meeting_type in data["meeting_types"]:
        assert meeting_type["name_ja"] in text


@pytest.fixture
def secret_thread(settings, stakeholder, workspace_c):
    settings.MODERATION_NEW_ACCOUNT_POSTS = 0
    return do_create_thread(
        actor=stakeholder, channel=workspace_c, title=SECRET_TITLE, body=SECRET_BODY, kind="public-private"
    )


def test_workspace_thread_is_visible_to_its_member(client, stakeholder, workspace_c, secret_thread):
    client.force_login(stakeholder)
    url = reverse("channels:thread", args=[workspace_c.slug, secret_thread.pk])
    assert SECRET_BODY in text_of(client, url)
    assert SECRET_TITLE in text_of(client, reverse("channels:channel", args=[workspace_c.slug]))


@pytest.mark.parametrize("who", ["anonymous", "citizen"])
def test_workspace_thread_is_invisible_to_others(client, request, who, workspace_c, secret_thread, data):
    if who == "citizen":
        client.force_login(request.getfixturevalue("citizen"))
    thread_url = reverse("channels:thread", args=[workspace_c.slug, secret_thread.pk])
    channel_url = reverse("channels:channel", args=[workspace_c.slug])
    missing = client.get(reverse("channels:thread", args=[workspace_c.slug, 999999]))
    for url in [thread_url, channel_url]:
        response = client.get(url)
        assert response.status_code == 404
        assert response.content == missing.content or SECRET_TITLE not in response.content.decode()
    pages = [reverse("channels:lab"), "/", reverse("archive:index")]
    pages += [reverse("channels:channel", args=[c["slug"]]) for c in data["channels"]]
    for url in pages:
        body = client.get(url).content.decode()
        assert SECRET_TITLE not in body and SECRET_BODY not in body, url
    search = client.get("/search/", {"q": "予算調整"})
    assert SECRET_TITLE not in search.content.decode()


def test_healthz_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["database"] == "ok"
    assert "no-cache" in response["Cache-Control"]


def test_healthz_503_when_redis_is_configured_but_unreachable(client, db):
    with override_settings(REDIS_URL="redis://127.0.0.1:9/0"):  # port 9 (discard): nothing listens
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "redis": "error"}


def test_wagtail_admin_has_its_own_content_security_policy(client, db):
    def script_src(url):
        policy = client.get(url)["Content-Security-Policy"]
        return dict(part.strip().split(" ", 1) for part in policy.split(";"))["script-src"]

    assert "'unsafe-inline'" in script_src("/cms-admin/login/")
    assert "'unsafe-inline'" not in script_src(reverse("account_login"))
    assert "'unsafe-inline'" not in script_src(reverse("channels:lab"))


def test_english_is_available(client, city):
    client.post(reverse("set_language"), {"language": "en", "next": "/lab/"})
    html = BeautifulSoup(client.get(reverse("channels:lab")).content, "html.parser")
    assert html.html["lang"] == "en"
    assert "Web Common Space" in html.get_text()
    login = BeautifulSoup(client.get(reverse("account_login")).content, "html.parser")
    assert login.h1.get_text(strip=True) == "Log in"
