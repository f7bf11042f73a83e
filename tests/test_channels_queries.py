"""Query bounds: the thread page with 200 posts and the channel page with 500 threads run in a fixed
number of queries, the same as with 20 (no query per post, author, quote, staff disclaimer or thread)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from channels import services
from channels.models import Post, Thread, Visibility
from tests.conftest import make_user
from tests.test_channels_support import *  # noqa: F403
from tests.test_channels_support import make_role

pytestmark = pytest.mark.django_db

# Tight bounds (measured, plus a little room); the equality checks below prove they do not grow.
THREAD_PAGE_MAX = {"anonymous": 10, "citizen": 18, "moderator": 15}
CHANNEL_PAGE_MAX = {"anonymous": 6, "citizen": 17, "moderator": 11}


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def fill_thread(thread, count: int, batch: int = 0):
    """`count` posts by several authors: pen names, staff posts (disclaimer), quotes, deleted,
    hidden and removed posts, so every branch of the post template runs."""
    authors = [make_user(f"q{batch}-{i}@example.jp", pen_name=f"投稿者{batch}-{i}") for i in range(5)]
    staff = make_role("staff", n=1000 + batch)
    staff.pen_name = f"職員{batch}"
    staff.save()
    authors.append(staff)
    previous = None
    existing = thread.posts.count()
    for i in range(count - existing):
        author = authors[i % len(authors)]
        post = services.do_reply(
            actor=author, thread=thread, body=f"投稿{i}\n- 箇条書き", quoted=previous if i % 5 == 0 else None
        )
        if i % 11 == 3:
            services.do_delete_own_post(actor=author, post=post)
        elif i % 13 == 4:
            Post.objects.filter(pk=post.pk).update(visibility=Visibility.HIDDEN, moderation_reason="理由")
        elif i % 17 == 5:
            Post.objects.filter(pk=post.pk).update(visibility=Visibility.REMOVED, moderation_reason="理由")
        elif i % 19 == 6:
            services.do_edit_post(actor=author, post=post, body="直しました")
        previous = post
    services.recount_thread(thread)


def fill_channel(channel, author, count: int):
    last_author = make_user(f"last{channel.pk}-{count}@example.jp", pen_name=f"最終{channel.pk}-{count}")
    seed = Thread.objects.filter(channel=channel).first() or services.do_create_thread(
        actor=author, channel=channel, title="種", body="本文", kind="private-led"
    )
    last = services.do_reply(actor=last_author, thread=seed, body="最後")
    now = timezone.now()
    Thread.objects.bulk_create(
        [
            Thread(
                channel=channel,
                title=f"トピック{i}",
                kind=["public-private", "intermediate", "private-led"][i % 3],
                phase=["planning", "execution", "archived"][i % 3],
                author=author,
                last_activity_at=now - dt.timedelta(minutes=i),
                last_post=last,
                visible_post_count=i % 7,
            )
            for i in range(count - Thread.objects.filter(channel=channel).count())
        ]
    )


def viewers():
    return {"anonymous": None, "citizen": make_role("citizen", n=77), "moderator": make_role("moderator", n=77)}


def test_thread_page_queries_do_not_grow(client, world, django_assert_max_num_queries):
    thread = world.threads["A"]
    url = reverse("channels:thread", args=[world.a.slug, thread.pk])
    people = viewers()
    fill_thread(thread, 20)
    small = {}
    for label, user in people.items():
        client.logout()
        if user:
            client.force_login(user)
        queries(client, url)  # warm caches that are not per page (sessions, content types)
        small[label] = queries(client, url)
    fill_thread(thread, 200, batch=1)
    assert thread.posts.count() == 200
    for label, user in people.items():
        client.logout()
        if user:
            client.force_login(user)
        queries(client, url)
        with django_assert_max_num_queries(THREAD_PAGE_MAX[label]):
            first = queries(client, url)
        with django_assert_max_num_queries(THREAD_PAGE_MAX[label]):
            last = queries(client, url + "?page=4")
        assert first == small[label] == last, (label, small[label], first, last)


def test_channel_page_queries_do_not_grow(client, world, django_assert_max_num_queries):
    channel = world.a
    url = reverse("channels:channel", args=[channel.slug])
    people = viewers()
    fill_channel(channel, world.author_a, 20)
    small = {}
    for label, user in people.items():
        client.logout()
        if user:
            client.force_login(user)
        queries(client, url)
        small[label] = queries(client, url)
    fill_channel(channel, world.author_a, 500)
    assert Thread.objects.filter(channel=channel).count() == 500
    for label, user in people.items():
        client.logout()
        if user:
            client.force_login(user)
        queries(client, url)
        with django_assert_max_num_queries(CHANNEL_PAGE_MAX[label]):
            first = queries(client, url)
        with django_assert_max_num_queries(CHANNEL_PAGE_MAX[label]):
            last = queries(client, url + "?page=17")
        with django_assert_max_num_queries(CHANNEL_PAGE_MAX[label]):
            filtered = queries(client, url + "?kind=intermediate&phase=execution&page=2")
        assert first == small[label] == last == filtered, (label, small[label], first, last, filtered)


def test_lab_page_is_fixed(client, world, django_assert_max_num_queries):
    user = make_role("staff")
    client.force_login(user)
    queries(client, reverse("channels:lab"))
    with django_assert_max_num_queries(12):
        client.get(reverse("channels:lab"))


# A reply: session, user, channel, thread, NG words, the post and its search row, the counters
# (one UPDATE, no count over the thread), the outbox row, permissions and the post's page number.
REPLY_MAX = 21


def _post_reply(client, url, n: int):
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(url, {"body": f"返信{n}です", "token": f"{n:032x}"})
    assert response.status_code == 302, response.content.decode()[:500]
    return len(ctx.captured_queries)


def test_reply_queries_do_not_grow(client, world, settings, django_assert_max_num_queries):
    """Posting a reply costs the same number of queries in a short thread and in a long one,
    and the thread's counters stay exact (no recount over its posts)."""
    settings.MODERATION_NEW_ACCOUNT_POSTS = 0
    thread = world.threads["A"]
    url = reverse("channels:reply", args=[world.a.slug, thread.pk])
    client.force_login(make_role("citizen", n=91))
    _post_reply(client, url, 1)  # warm caches that are not per request (content types)
    with django_assert_max_num_queries(REPLY_MAX):
        short = _post_reply(client, url, 2)
    fill_thread(thread, 120, batch=2)
    with django_assert_max_num_queries(REPLY_MAX):
        long = _post_reply(client, url, 3)
    assert short == long
    counted = Thread.objects.get(pk=thread.pk)
    newest = Post.objects.filter(thread=thread).latest("created_at", "id")
    services.recount_thread(thread)
    recounted = Thread.objects.get(pk=thread.pk)
    assert counted.visible_post_count == recounted.visible_post_count
    assert counted.last_post_id == recounted.last_post_id == newest.pk
    assert counted.last_activity_at == recounted.last_activity_at


def test_reply_counters_skip_held_posts_and_keep_the_newest_last_post(world, settings):
    """A held reply is not counted; a reply whose clock reads earlier than the thread's last
    activity (another reply committed first) counts but does not take the "last post" line."""
    settings.MODERATION_NEW_ACCOUNT_POSTS = 1
    thread = world.threads["A"]
    before = Thread.objects.get(pk=thread.pk)
    newcomer = make_role("citizen", n=92)
    held = services.do_reply(actor=newcomer, thread=thread, body="初めての返信です")
    assert held.visibility == Visibility.PENDING
    assert Thread.objects.get(pk=thread.pk).visible_post_count == before.visible_post_count
    settings.MODERATION_NEW_ACCOUNT_POSTS = 0
    later = timezone.now() + dt.timedelta(minutes=5)
    Thread.objects.filter(pk=thread.pk).update(last_activity_at=later)
    services.do_reply(actor=newcomer, thread=thread, body="二件目です")
    after = Thread.objects.get(pk=thread.pk)
    assert after.visible_post_count == before.visible_post_count + 1
    assert after.last_post_id == before.last_post_id
    assert after.last_activity_at == later
