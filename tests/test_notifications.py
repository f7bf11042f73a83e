"""Follow + e-mail notifications: pen names only for A, staff disclaimer, re-checks at task time,
daily digest, unsubscribe without login, bounded queries."""

import re

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from channels import notifications, services, tasks
from channels.identity import staff_disclaimer_text
from channels.models import Follow, Membership, Post, PostNotification, Visibility
from kumagaya_portal import outbox
from kumagaya_portal.accounts.models import StaffRules
from kumagaya_portal.celery import app as celery_app
from tests.conftest import make_user


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MODERATION_NEW_ACCOUNT_POSTS = 0
    settings.SITE_URL = "http://testserver"


@pytest.fixture(autouse=True)
def eager_celery():
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a service and let its on-commit work (the outbox hand-over) happen, as after a real commit."""

    def run(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return run


@pytest.fixture
def reader(city):
    return make_user("reader.follower@example.jp", real_name="読者 文子", pen_name="よみびと")


def new_thread(committed, author, channel, title="まちなかのベンチ", body="ベンチを増やしたいです。"):
    return committed(
        services.do_create_thread, actor=author, channel=channel, title=title, body=body, kind="private-led"
    )


def mails_to(user):
    return [m for m in mail.outbox if user.email in m.to]


def whole(message) -> str:
    """Everything a recipient gets: headers, text and the HTML alternative."""
    parts = [message.subject, message.body, message.from_email, " ".join(message.to)]
    parts += [f"{k}: {v}" for k, v in message.extra_headers.items()]
    parts += [content for content, _mime in message.alternatives]
    return "\n".join(parts)


# ------------------------------------------------------------------ identity in e-mails
def test_follower_gets_a_tier_a_post_under_the_pen_name_only(committed, reader, channel_a):
    author = make_user("hidden.identity.9@example.jp", real_name="秘密野 本名太郎", pen_name="星川の散歩人")
    services.do_follow(actor=reader, channel=channel_a)
    new_thread(committed, author, channel_a)
    [message] = mails_to(reader)
    text = whole(message)
    assert "星川の散歩人" in message.body and "星川の散歩人" in message.alternatives[0][0]
    for secret in ("秘密野", "本名太郎", "hidden.identity.9", f"#{author.pk}", f"user/{author.pk}"):
        assert secret not in text, secret
    assert message.alternatives[0][1] == "text/html"


def test_the_author_is_never_notified_of_their_own_post(committed, citizen, channel_a):
    services.do_follow(actor=citizen, channel=channel_a)
    new_thread(committed, citizen, channel_a)
    assert mails_to(citizen) == []


def test_thread_followers_hear_of_replies(committed, reader, citizen, channel_a):
    thread = new_thread(committed, citizen, channel_a)
    services.do_follow(actor=reader, thread=thread)
    committed(services.do_reply, actor=citizen, thread=thread, body="追記です。")
    [message] = mails_to(reader)
    assert "追記です。" in message.body
    assert f"/lab/{channel_a.slug}/t/{thread.pk}/" in message.body


@pytest.mark.parametrize("tier_fixture", ["channel_a", "channel_b", "workspace_c"])
def test_staff_posts_carry_the_disclaimer_in_emails(committed, request, staff, tier_fixture):
    channel = request.getfixturevalue(tier_fixture)
    follower = make_user("f.staffpost@example.jp", real_name="追跡 者", pen_name="ついせき", verified=True)
    if channel.tier_id != "A":
        services.do_grant_membership(actor=None, channel=channel, user=follower)
        services.do_grant_membership(actor=None, channel=channel, user=staff)
    services.do_follow(actor=follower, channel=channel)
    new_thread(committed, staff, channel, title="職員からのお知らせ", body="説明会を開きます。")
    [message] = mails_to(follower)
    rules = StaffRules.current()
    for line in (rules.disclaimer_ja, rules.not_official_ja):
        assert line in message.body
        assert line in message.alternatives[0][0]
    assert "市職員" in message.body and "政策調査課" in message.body


def test_citizen_posts_carry_no_disclaimer(committed, reader, citizen, channel_a):
    services.do_follow(actor=reader, channel=channel_a)
    new_thread(committed, citizen, channel_a)
    [message] = mails_to(reader)
    assert StaffRules.current().disclaimer_ja not in message.body


def test_html_email_escapes_titles_and_uses_the_sanitised_body(committed, reader, citizen, channel_a):
    services.do_follow(actor=reader, channel=channel_a)
    new_thread(
        committed,
        citizen,
        channel_a,
        title='<script>alert("t")</script>',
        body="<img src=x onerror=alert(1)> [x](javascript:alert(2)) **強調**",
    )
    [message] = mails_to(reader)
    html = message.alternatives[0][0]
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img src=x" in html
    assert 'href="javascript' not in html
    assert "<strong>強調</strong>" in html
    assert "\n" not in message.subject


# ------------------------------------------------------------------ re-checks at task time
@pytest.mark.parametrize("visibility", [Visibility.HIDDEN, Visibility.REMOVED, Visibility.PENDING])
def test_post_hidden_before_the_task_runs_sends_nothing(
    reader, citizen, channel_a, django_capture_on_commit_callbacks, visibility
):
    services.do_follow(actor=reader, channel=channel_a)
    with django_capture_on_commit_callbacks(execute=False):
        thread = services.do_create_thread(
            actor=citizen, channel=channel_a, title="題", body="本文です。", kind="private-led"
        )
    Post.objects.filter(thread=thread).update(visibility=visibility)
    outbox.drain()
    assert mails_to(reader) == []


def test_post_deleted_by_its_author_before_the_task_runs_sends_nothing(
    reader, citizen, channel_a, django_capture_on_commit_callbacks
):
    services.do_follow(actor=reader, channel=channel_a)
    with django_capture_on_commit_callbacks(execute=False):
        thread = services.do_create_thread(
            actor=citizen, channel=channel_a, title="題", body="本文です。", kind="private-led"
        )
    Post.objects.filter(thread=thread).update(is_deleted_by_author=True)
    outbox.drain()
    assert mails_to(reader) == []


def test_held_post_is_not_announced_until_approved(committed, reader, channel_a, moderator, settings):
    settings.MODERATION_NEW_ACCOUNT_POSTS = 2
    newcomer = make_user("brand.new@example.jp", pen_name="はじめまして")
    services.do_follow(actor=reader, channel=channel_a)
    thread = new_thread(committed, newcomer, channel_a)
    post = thread.posts.get()
    assert post.visibility == Visibility.PENDING
    assert mails_to(reader) == []
    committed(services.do_set_post_visibility, actor=moderator, post=post, visibility=Visibility.PUBLISHED)
    assert len(mails_to(reader)) == 1


def test_task_is_idempotent(committed, reader, citizen, channel_a):
    services.do_follow(actor=reader, channel=channel_a)
    thread = new_thread(committed, citizen, channel_a)
    post = thread.posts.get()
    tasks.notify_new_post.apply(kwargs={"post_id": post.pk})
    assert len(mails_to(reader)) == 1


def test_followers_of_private_channel_who_lost_access_get_nothing(committed, staff, stakeholder, channel_b):
    member = make_user("b.member@example.jp", real_name="企画 員", verified=True)
    services.do_grant_membership(actor=None, channel=channel_b, user=member)
    services.do_follow(actor=member, channel=channel_b)
    # access taken away behind the follow's back (e.g. a guardian change): the task still checks
    from guardian.shortcuts import remove_perm

    remove_perm("channels.view_private_channel", member, channel_b)
    new_thread(committed, stakeholder, channel_b)
    assert mails_to(member) == []


# ------------------------------------------------------------------ query bounds
def _follower(i, channel):
    user = make_user(f"bulk{i}@example.jp", real_name=f"大勢 {i}", pen_name=f"読者{i}", verified=True)
    if channel.tier_id != "A":
        services.do_grant_membership(actor=None, channel=channel, user=user)
    services.do_follow(actor=user, channel=channel, delivery="daily" if i % 3 == 0 else "immediate")
    return user


@pytest.mark.parametrize("tier_fixture", ["channel_a", "channel_b"])
def test_task_query_count_does_not_grow_with_followers(
    request, stakeholder, citizen, tier_fixture, django_capture_on_commit_callbacks
):
    channel = request.getfixturevalue(tier_fixture)
    author = citizen if channel.tier_id == "A" else stakeholder
    counts = []
    for n in (3, 30):
        for i in range(len(counts) * 100, len(counts) * 100 + n):
            _follower(i, channel)
        with django_capture_on_commit_callbacks(execute=False):
            thread = services.do_create_thread(
                actor=author, channel=channel, title=f"件名{n}", body="本文です。", kind="private-led"
            )
        mail.outbox.clear()
        with CaptureQueriesContext(connection) as ctx:
            notifications.deliver_new_post(thread.posts.get().pk)
        counts.append(len(ctx.captured_queries))
        assert len(mail.outbox) > 0
    assert counts[0] == counts[1], counts
    assert counts[1] <= 12


# ------------------------------------------------------------------ daily digest
def test_daily_digest_collects_posts_and_rechecks_visibility(committed, reader, citizen, channel_a):
    services.do_follow(actor=reader, channel=channel_a, delivery=Follow.Delivery.DAILY)
    kept = new_thread(committed, citizen, channel_a, title="残る話題", body="残る投稿です。")
    gone = new_thread(committed, citizen, channel_a, title="消える話題", body="消える投稿です。")
    assert mails_to(reader) == []  # nothing at once
    assert PostNotification.objects.filter(user=reader, sent_at__isnull=True).count() == 2
    Post.objects.filter(thread=gone).update(visibility=Visibility.HIDDEN)

    committed(tasks.send_daily_digests.apply)
    [digest] = mails_to(reader)
    assert "残る投稿です。" in digest.body and "消える" not in digest.body
    assert "くまがやの風" in digest.body and "榊原" not in digest.body
    assert "残る話題" in digest.alternatives[0][0]
    assert "List-Unsubscribe" in digest.extra_headers
    assert kept.title in digest.body

    mail.outbox.clear()
    committed(tasks.send_daily_digests.apply)
    assert mails_to(reader) == []  # each post once


def test_digest_skips_channels_the_reader_can_no_longer_see(committed, staff, stakeholder, channel_b):
    member = make_user("digest.b@example.jp", real_name="日報 読子", verified=True)
    services.do_grant_membership(actor=None, channel=channel_b, user=member)
    services.do_follow(actor=member, channel=channel_b, delivery=Follow.Delivery.DAILY)
    new_thread(committed, stakeholder, channel_b)
    assert PostNotification.objects.filter(user=member, sent_at__isnull=True).count() == 1
    membership = Membership.objects.get(channel=channel_b, user=member)
    services.do_remove_member(actor=staff, membership=membership)
    committed(tasks.send_daily_digests.apply)
    assert mails_to(member) == []


def test_daily_digest_is_scheduled_at_seven_tokyo_time():
    entry = django_settings.CELERY_BEAT_SCHEDULE["daily-digest"]
    assert entry["task"] == tasks.send_daily_digests.name
    assert entry["schedule"] == crontab(hour=7, minute=0)
    assert django_settings.CELERY_TIMEZONE == "Asia/Tokyo"


# ------------------------------------------------------------------ unsubscribe
def _unsubscribe_url(message) -> str:
    match = re.search(r"http://testserver(/lab/unsubscribe/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_unsubscribe_link_works_logged_out_and_get_changes_nothing(committed, reader, citizen, channel_a):
    services.do_follow(actor=reader, channel=channel_a)
    new_thread(committed, citizen, channel_a)
    [message] = mails_to(reader)
    url = _unsubscribe_url(message)
    assert message.extra_headers["List-Unsubscribe"] == f"<http://testserver{url}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    anonymous = Client(enforce_csrf_checks=True)
    page = anonymous.get(url)
    assert page.status_code == 200 and "通知を停止する" in page.content.decode()
    anonymous.get(url)
    assert Follow.objects.filter(user=reader).count() == 1  # GET never unsubscribes
    done = anonymous.post(url, {"List-Unsubscribe": "One-Click"})  # RFC 8058 one-click, no CSRF token
    assert done.status_code == 200
    assert not Follow.objects.filter(user=reader).exists()
    assert "すでに停止しています" in anonymous.get(url).content.decode()


def test_digest_unsubscribe_stops_every_daily_follow(committed, reader, citizen, channel_a):
    thread = new_thread(committed, citizen, channel_a)
    services.do_follow(actor=reader, channel=channel_a, delivery=Follow.Delivery.DAILY)
    services.do_follow(actor=reader, thread=thread, delivery=Follow.Delivery.IMMEDIATE)
    committed(services.do_reply, actor=citizen, thread=thread, body="返信です。")
    mail.outbox.clear()
    new_thread(committed, citizen, channel_a, title="別の話題")
    committed(tasks.send_daily_digests.apply)
    [digest] = mails_to(reader)
    url = re.search(r"<http://testserver(/lab/unsubscribe/[^>]+)>", digest.extra_headers["List-Unsubscribe"])[1]
    Client().post(url)
    assert list(Follow.objects.filter(user=reader).values_list("delivery", flat=True)) == ["immediate"]


def test_bad_unsubscribe_token_is_404(db, client):
    assert client.get("/lab/unsubscribe/not-a-token/").status_code == 404


# ------------------------------------------------------------------ follow views
def test_follow_and_unfollow_in_the_browser(client, reader, channel_a, citizen, committed):
    thread = new_thread(committed, citizen, channel_a)
    client.force_login(reader)
    response = client.post(reverse("channels:follow_channel", args=[channel_a.slug]), {"delivery": "daily"})
    assert response.status_code == 302
    assert Follow.objects.get(user=reader, channel=channel_a).delivery == "daily"
    client.post(reverse("channels:follow_thread", args=[channel_a.slug, thread.pk]), {"delivery": "immediate"})
    page = client.get(reverse("channels:follows")).content.decode()
    assert thread.title in page and channel_a.name_ja in page
    client.post(reverse("channels:unfollow_channel", args=[channel_a.slug]))
    assert list(Follow.objects.filter(user=reader).values_list("thread_id", flat=True)) == [thread.pk]
    assert client.get(reverse("channels:follow_channel", args=[channel_a.slug])).status_code == 405


def test_following_private_channels_needs_access(client, reader, channel_b, workspace_c):
    client.force_login(reader)
    for channel in (channel_b, workspace_c):
        url = reverse("channels:follow_channel", args=[channel.slug])
        assert client.post(url, {"delivery": "immediate"}).status_code == 404
    assert not Follow.objects.exists()


def test_following_needs_login(client, channel_a):
    response = client.post(reverse("channels:follow_channel", args=[channel_a.slug]), {"delivery": "immediate"})
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_follow_button_include_renders_for_both_states(rf, reader, channel_a):
    from django.template.loader import render_to_string

    request = rf.get("/")
    request.user = reader
    html = render_to_string("channels/follow/button.html", {"channel": channel_a, "user": reader, "request": request})
    assert "フォローする" in html
    services.do_follow(actor=reader, channel=channel_a)
    html = render_to_string("channels/follow/button.html", {"channel": channel_a, "user": reader, "request": request})
    assert "フォローをやめる" in html


def test_disclaimer_text_is_the_one_in_identity(city):
    assert StaffRules.current().disclaimer_ja in staff_disclaimer_text()
