"""Anonymous official pages come from the cache; publishing purges it at once."""

import pytest
from django.contrib.messages import constants as message_levels
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from wagtail.models import Page, PageViewRestriction

from cms.models import HomePage, SectionPage
from kumagaya_portal import page_cache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache_on():
    cache.clear()
    with override_settings(PAGE_CACHE_SECONDS=300):
        yield
    cache.clear()


@pytest.fixture
def section(city):
    return SectionPage.objects.live().first()


def section_url(page) -> str:
    return page.relative_url(page.get_site())


def test_second_anonymous_request_is_served_from_the_cache_without_sql(client, section, django_assert_max_num_queries):
    url = section_url(section)
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers.get(page_cache.HIT_HEADER) == "miss"

    visitor = Client()  # a new visitor: no session, no cookies
    with django_assert_max_num_queries(1):
        second = visitor.get(url)
    assert second.status_code == 200
    assert second.headers.get(page_cache.HIT_HEADER) == "hit"
    assert section.title in second.content.decode()
    # The usual headers still come from the middleware around the cache.
    assert second.headers["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in second.headers


def test_cached_pages_are_kept_per_language(section):
    url = section_url(section)
    ja = Client(HTTP_ACCEPT_LANGUAGE="ja")
    en = Client(HTTP_ACCEPT_LANGUAGE="en")
    ja.get(url)
    english = en.get(url)
    assert english.headers.get(page_cache.HIT_HEADER) == "miss"
    assert 'lang="en"' in english.content.decode()
    again = Client(HTTP_ACCEPT_LANGUAGE="ja").get(url)
    assert again.headers.get(page_cache.HIT_HEADER) == "hit"
    assert 'lang="ja"' in again.content.decode()


def test_publishing_a_new_title_shows_at_once(client, section):
    url = section_url(section)
    client.get(url)
    assert Client().get(url).headers.get(page_cache.HIT_HEADER) == "hit"

    section.title = "まちなか再生 最新のお知らせ"
    section.save_revision().publish()

    fresh = Client().get(url)
    assert "まちなか再生 最新のお知らせ" in fresh.content.decode()
    assert fresh.headers.get(page_cache.HIT_HEADER) == "miss"


def test_unpublishing_removes_the_page_at_once(client, section):
    url = section_url(section)
    client.get(url)
    section.unpublish()
    assert Client().get(url).status_code == 404


def test_a_new_child_page_purges_its_parent_listing(client, city):
    home = HomePage.objects.get()
    url = section_url(home)
    client.get(url)
    assert Client().get(url).headers.get(page_cache.HIT_HEADER) == "hit"
    home.add_child(instance=SectionPage(title="新しい区分のテスト", slug="new-section-test"))
    assert Client().get(url).headers.get(page_cache.HIT_HEADER) == "miss"


def test_signed_in_users_never_get_the_cached_copy(client, citizen, section, django_assert_max_num_queries):
    url = section_url(section)
    client.get(url)
    Client().get(url)  # now cached
    client.force_login(citizen)
    response = client.get(url)
    assert response.headers.get(page_cache.HIT_HEADER) is None
    body = response.content.decode()
    assert "ログアウト" in body and "新規登録" not in body
    # And what they saw is not stored for anonymous visitors either.
    anonymous = Client().get(url)
    assert "ログアウト" not in anonymous.content.decode()


def test_visitors_with_messages_get_a_fresh_page(section):
    url = section_url(section)
    Client().get(url)
    visitor = Client()
    # A message waiting in the (cookie) message store, as after a redirect.
    storage = CookieStorage(HttpRequest())
    storage.add(message_levels.INFO, "送信しました。")
    carrier = HttpResponse()
    storage.update(carrier)
    visitor.cookies["messages"] = carrier.cookies["messages"].value
    response = visitor.get(url)
    assert response.headers.get(page_cache.HIT_HEADER) is None
    assert "送信しました。" in response.content.decode()


def test_the_form_token_on_a_cached_page_is_the_visitors_own(section):
    url = section_url(section)
    Client().get(url)
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(url)
    assert page.headers.get(page_cache.HIT_HEADER) == "hit"
    body = page.content.decode()
    assert page_cache.CSRF_PLACEHOLDER.decode() not in body
    token = body.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    # The language switch in the footer works with the token the cached page carried.
    response = visitor.post("/i18n/setlang/", {"csrfmiddlewaretoken": token, "language": "en", "next": url})
    assert response.status_code == 302


def test_pages_with_view_restrictions_are_never_cached(section):
    PageViewRestriction.objects.create(page=section, restriction_type=PageViewRestriction.PASSWORD, password="s3cret")
    url = section_url(section)
    for _ in range(2):
        response = Client().get(url)
        assert response.headers.get(page_cache.HIT_HEADER) is None
        assert 'name="password"' in response.content.decode()  # the password form, every time


def test_post_requests_and_discussion_pages_are_not_cached(client, section):
    url = section_url(section)
    client.get(url)
    assert client.post(url).headers.get(page_cache.HIT_HEADER) is None
    client.get("/lab/")
    assert Client().get("/lab/").headers.get(page_cache.HIT_HEADER) is None


def test_the_archive_is_cached_and_a_changed_record_shows_at_once(city):
    from archive.models import Meeting

    Client().get("/archive/")
    again = Client().get("/archive/")
    assert again.headers.get(page_cache.HIT_HEADER) == "hit"
    meeting = Meeting.objects.filter(is_public=True).first()
    meeting.title = "熊谷駅前の暑さ対策 検討会議（日程変更）"
    meeting.save()
    fresh = Client().get(meeting.get_absolute_url())
    assert fresh.headers.get(page_cache.HIT_HEADER) in (None, "miss")
    assert "熊谷駅前の暑さ対策 検討会議（日程変更）" in fresh.content.decode()
    assert Client().get("/archive/").headers.get(page_cache.HIT_HEADER) == "miss"


def test_cache_off_when_timeout_is_zero(section):
    url = section_url(section)
    with override_settings(PAGE_CACHE_SECONDS=0):
        Client().get(url)
        assert Client().get(url).headers.get(page_cache.HIT_HEADER) is None


def test_deleting_a_page_purges(client, section):
    url = section_url(section)
    client.get(url)
    Page.objects.get(pk=section.pk).delete()
    assert Client().get(url).status_code == 404
