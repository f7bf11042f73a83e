"""Pages come from the cache for everyone who sees them alike; any change purges at once."""

import pytest
from django.contrib.messages import constants as message_levels
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from wagtail.models import Page, PageViewRestriction

from cms.models import HomePage, SectionPage
from kumagaya_portal import page_cache

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_on")]


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


# Committed for real: a transaction that changed permissions (the test's own, otherwise) reads
# them itself instead of trusting what other requests remembered.
@pytest.mark.django_db(transaction=True)
def test_signed_in_citizens_share_a_signed_in_copy_never_the_anonymous_one(
    client, citizen, section, django_assert_max_num_queries
):
    from tests.conftest import make_user

    neighbour = Client()
    neighbour.force_login(make_user("neighbour@example.jp", real_name="隣 人", pen_name="となりの人"))
    url = section_url(section)
    Client().get(url)  # the anonymous copy
    client.force_login(citizen)
    first = client.get(url)
    assert first.headers.get(page_cache.HIT_HEADER) == "miss"
    body = first.content.decode()
    assert "ログアウト" in body and "新規登録" not in body

    shared = neighbour.get(url)
    assert shared.headers.get(page_cache.HIT_HEADER) == "hit"
    assert "ログアウト" in shared.content.decode()
    with django_assert_max_num_queries(2):  # session and user; the audience is remembered
        assert neighbour.get(url).headers.get(page_cache.HIT_HEADER) == "hit"
    # What signed-in users saw is not stored for anonymous visitors.
    anonymous = Client().get(url)
    assert anonymous.headers.get(page_cache.HIT_HEADER) == "hit"
    assert "ログアウト" not in anonymous.content.decode()


@pytest.mark.parametrize("persona", ["staff", "moderator"])
def test_staff_and_moderators_always_get_a_fresh_page(request, client, citizen, section, persona):
    url = section_url(section)
    other = Client()
    other.force_login(citizen)
    other.get(url)
    client.force_login(request.getfixturevalue(persona))
    for _ in range(2):
        assert client.get(url).headers.get(page_cache.HIT_HEADER) is None


def test_channel_members_share_pages_only_with_those_who_read_the_same_channels(citizen, stakeholder, workspace_c):
    from channels.models import Membership
    from channels.services import do_remove_member
    from tests.conftest import make_user

    citizen_audience = page_cache._signed_in_audience(citizen)
    member_audience = page_cache._signed_in_audience(stakeholder)
    assert citizen_audience and member_audience and citizen_audience != member_audience
    assert str(workspace_c.pk) in member_audience.split(":")[1].split(",")

    # Removed from the workspace (and its B channel): at once, the stakeholder reads what the citizen reads.
    admin = make_user("admin@example.jp", real_name="管理 者", is_superuser=True)
    for membership in Membership.objects.filter(user=stakeholder, state=Membership.State.ACTIVE):
        do_remove_member(actor=admin, membership=membership)
    stakeholder.refresh_from_db()
    assert page_cache._signed_in_audience(stakeholder) == citizen_audience


@pytest.fixture
def known_citizen(citizen):
    """Past the new-account hold: posts are published at once."""
    citizen.real_name_verified = True
    citizen.save(update_fields=["real_name_verified"])
    return citizen


def test_anonymous_thread_pages_are_cached_and_a_new_reply_shows_at_once(known_citizen, channel_a):
    from channels.services import do_create_thread, do_reply

    citizen = known_citizen

    thread = do_create_thread(
        actor=citizen,
        channel=channel_a,
        title="駅前の日陰づくり",
        body="木陰のベンチを増やしたい。",
        kind="idea",
        phase="idea",
    )
    url = f"/lab/{channel_a.slug}/t/{thread.pk}/"
    Client().get(url)
    assert Client().get(url).headers.get(page_cache.HIT_HEADER) == "hit"
    assert Client().get(f"/lab/{channel_a.slug}/").headers.get(page_cache.HIT_HEADER) in ("miss", "hit")

    do_reply(actor=citizen, thread=thread, body="ミストシャワーも良いと思います。")
    fresh = Client().get(url)
    assert fresh.headers.get(page_cache.HIT_HEADER) == "miss"
    assert "ミストシャワーも良いと思います。" in fresh.content.decode()


def test_a_new_pen_name_shows_at_once_on_cached_thread_pages(known_citizen, channel_a):
    from channels.services import do_create_thread
    from kumagaya_portal.accounts.services import do_set_pen_name

    citizen = known_citizen

    thread = do_create_thread(
        actor=citizen, channel=channel_a, title="公園の遊具", body="日よけが欲しいです。", kind="idea", phase="idea"
    )
    url = f"/lab/{channel_a.slug}/t/{thread.pk}/"
    assert "くまがやの風" in Client().get(url).content.decode()
    do_set_pen_name(actor=citizen, pen_name="荒川の土手")
    body = Client().get(url).content.decode()
    assert "荒川の土手" in body and "くまがやの風" not in body


def test_signing_in_does_not_purge(citizen, section):
    url = section_url(section)
    Client().get(url)
    Client().post("/accounts/login/", {"login": citizen.email, "password": "pw-kumagaya-2024"})
    assert Client().get(url).headers.get(page_cache.HIT_HEADER) == "hit"


def test_signed_in_users_get_their_own_lab_pages(client, citizen, channel_a):
    client.force_login(citizen)
    url = f"/lab/{channel_a.slug}/"
    for _ in range(2):
        assert client.get(url).headers.get(page_cache.HIT_HEADER) is None


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
    assert Client().post("/lab/").headers.get(page_cache.HIT_HEADER) is None


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
