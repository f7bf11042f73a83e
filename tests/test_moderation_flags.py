"""Flags: distinct users, withdraw and re-flag, own posts, hidden posts, the threshold, staff posts."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from channels import services as channel_services
from channels.models import Visibility
from moderation import services
from moderation.models import AuditEntry, Flag, QueueItem
from tests.test_moderation_support import *  # noqa: F403
from tests.test_moderation_support import act, flag_as, flaggers, html, thread_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(thread_a, other_citizen):
    return channel_services.do_reply(actor=other_citizen, thread=thread_a, body="気になる投稿です。")


def open_count(post) -> int:
    return QueueItem.objects.get(post=post).flag_count


def test_flag_opens_one_queue_item_per_post(post):
    a, b = flaggers(2)
    flag_as(a, post, reason="spam")
    flag_as(b, post, reason="harassment")
    assert QueueItem.objects.filter(post=post).count() == 1
    assert open_count(post) == 2


def test_same_user_counts_once(post):
    (a,) = flaggers(1)
    flag_as(a, post)
    with pytest.raises(services.AlreadyFlagged):
        flag_as(a, post, reason="harassment")
    assert open_count(post) == 1 and Flag.objects.filter(post=post).count() == 1


def test_database_refuses_a_second_open_flag(post):
    """The partial unique constraint itself (what makes concurrent submits safe)."""
    (a,) = flaggers(1)
    Flag.objects.create(post=post, flagger=a, reason="spam")
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.create(post=post, flagger=a, reason="spam")
    # a withdrawn flag does not block a new one
    Flag.objects.filter(post=post, flagger=a).update(state=Flag.State.WITHDRAWN)
    Flag.objects.create(post=post, flagger=a, reason="spam")


def test_withdraw_and_reflag(client, post):
    a, b = flaggers(2)
    flag_as(b, post)
    first = flag_as(a, post)
    assert open_count(post) == 2
    services.do_withdraw_flag(actor=a, flag=first)
    assert open_count(post) == 1
    flag_as(a, post, reason="off_topic")
    assert open_count(post) == 2
    assert Flag.objects.filter(post=post, flagger=a).count() == 2  # history kept
    assert Flag.objects.filter(post=post, flagger=a, state="open").count() == 1
    # through the pages
    client.force_login(a)
    client.post(reverse("moderation:withdraw_flag", args=[post.pk]))
    assert open_count(post) == 1
    response = client.post(reverse("moderation:flag", args=[post.pk]), {"reason": "spam"})
    assert response.status_code == 302 and open_count(post) == 2
    response = client.post(reverse("moderation:flag", args=[post.pk]), {"reason": "spam"}, follow=True)
    assert "すでに通報済み" in html(response) or "通報済みです" in html(response)
    assert open_count(post) == 2


def test_withdrawing_the_only_flag_closes_the_item(post):
    (a,) = flaggers(1)
    services.do_withdraw_flag(actor=a, flag=flag_as(a, post))
    assert QueueItem.objects.get(post=post).state == QueueItem.State.DECIDED


def test_nobody_flags_their_own_post(client, post, other_citizen):
    with pytest.raises(services.NotAllowed):
        flag_as(other_citizen, post)
    client.force_login(other_citizen)
    response = client.post(reverse("moderation:flag", args=[post.pk]), {"reason": "spam"}, follow=True)
    assert "ご自身の投稿は通報できません" in html(response)
    assert not Flag.objects.exists()


def test_anonymous_is_asked_to_log_in(client, post):
    response = client.get(reverse("moderation:flag", args=[post.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_cannot_flag_what_one_cannot_see(client, workspace_c, stakeholder):
    thread = channel_services.do_create_thread(
        actor=stakeholder, channel=workspace_c, title="非公開の相談", body="内部の話です。", kind="public-private"
    )
    post = thread.posts.get()
    (outsider,) = flaggers(1)
    client.force_login(outsider)
    assert client.get(reverse("moderation:flag", args=[post.pk])).status_code == 404
    with pytest.raises(services.NotAllowed):
        flag_as(outsider, post)


def test_reasons_other_needs_a_note_and_url_only_for_misinformation(client, post):
    (a,) = flaggers(1)
    client.force_login(a)
    url = reverse("moderation:flag", args=[post.pk])
    response = client.post(url, {"reason": "other", "note": ""})
    assert response.status_code == 400 and "補足に理由を書いてください" in html(response)
    response = client.post(url, {"reason": "spam", "official_url": "https://www.city.kumagaya.lg.jp/"})
    assert response.status_code == 400
    response = client.post(url, {"reason": "misinformation", "official_url": "javascript:alert(1)"})
    assert response.status_code == 400
    response = client.post(
        url,
        {
            "reason": "misinformation",
            "official_url": "https://www.city.kumagaya.lg.jp/about/",
            "note": "日付が違います",
        },
    )
    assert response.status_code == 302
    flag = Flag.objects.get()
    assert flag.official_url == "https://www.city.kumagaya.lg.jp/about/" and flag.note == "日付が違います"
    with pytest.raises(services.ModerationError):
        flag_as(flaggers(1)[0], post, reason="nonsense")


def test_threshold_hides_pending_review(client, post, thread_a):
    a, b, c = flaggers(3)
    flag_as(a, post)
    flag_as(b, post)
    post.refresh_from_db()
    assert post.visibility == Visibility.PUBLISHED
    flag_as(c, post)
    post.refresh_from_db()
    assert post.visibility == Visibility.HIDDEN
    item = QueueItem.objects.get(post=post)
    assert item.state == QueueItem.State.OPEN and item.hold_code == "flag_threshold" and item.flag_count == 3
    entry = AuditEntry.objects.get(action="auto_hide")
    assert entry.actor is None and entry.before["visibility"] == "published" and entry.after["visibility"] == "hidden"
    client.logout()
    assert "気になる投稿です。" not in html(client.get(thread_url(thread_a)))


def test_citizen_flags_never_hide_a_staff_post(staff, channel_a):
    thread = channel_services.do_create_thread(
        actor=staff, channel=channel_a, title="職員からのお知らせ", body="説明会を開きます。", kind="public-private"
    )
    other = channel_services.do_reply(actor=staff, thread=thread, body="職員の補足です。")
    for user in flaggers(5):
        flag_as(user, other)
    other.refresh_from_db()
    assert other.visibility == Visibility.PUBLISHED
    item = QueueItem.objects.get(post=other)
    assert item.priority == 1 and item.flag_count == 5
    # ... and it goes to the top of the queue.
    from moderation.selectors import queue_items

    plain = channel_services.do_reply(actor=staff, thread=thread, body="別の投稿")
    QueueItem.objects.create(post=plain, channel=channel_a, opened_at=item.opened_at.replace(year=2000))
    ordered = list(queue_items(make_global_mod(), sort="oldest"))
    assert ordered[0].post == other


def make_global_mod():
    from django.contrib.auth.models import Permission

    from tests.conftest import make_user

    user = make_user("global.mod.flags@example.jp", pen_name="全体係", verified=True)
    user.user_permissions.add(Permission.objects.get(codename="moderate_channel"))
    return user


def test_flag_on_hidden_post_is_recorded_without_new_item(mod, post):
    act(mod, post, "hide", reason="宣伝のため")
    assert QueueItem.objects.get(post=post).state == QueueItem.State.DECIDED
    (a,) = flaggers(1)
    flag = flag_as(a, post)
    assert flag.on_unpublished_post
    assert QueueItem.objects.filter(post=post).count() == 1
    assert QueueItem.objects.get(post=post).state == QueueItem.State.DECIDED  # not reopened


def test_new_flag_after_dismissal_reopens_the_same_item(mod, post):
    a, b = flaggers(2)
    flag_as(a, post)
    act(mod, post, "dismiss", reason="問題ありません")
    flag_as(b, post)
    item = QueueItem.objects.get(post=post)
    assert item.state == QueueItem.State.OPEN and item.flag_count == 1


def test_thread_flag_is_a_flag_on_its_first_post(client, thread_a):
    (a,) = flaggers(1)
    client.force_login(a)
    response = client.get(reverse("moderation:flag_thread", args=[thread_a.pk]))
    first = thread_a.posts.order_by("created_at").first()
    assert response["Location"] == reverse("moderation:flag", args=[first.pk])


def test_flag_link_on_thread_page_costs_no_query_per_post(
    client, thread_a, other_citizen, django_assert_max_num_queries
):
    for i in range(5):
        channel_services.do_reply(actor=other_citizen, thread=thread_a, body=f"返信 {i}")
    (a,) = flaggers(1)
    client.force_login(a)
    page = html(client.get(thread_url(thread_a)))
    assert page.count("通報する") >= 6
    client.get(thread_url(thread_a))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(thread_url(thread_a))
    for i in range(10):
        channel_services.do_reply(actor=other_citizen, thread=thread_a, body=f"さらに {i}")
    with CaptureQueriesContext(connection) as many:
        client.get(thread_url(thread_a))
    assert len(many) == len(few)


def test_moderation_link_for_channel_moderators_costs_no_query_per_post(
    client, thread_a, other_citizen, channel_moderator
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(channel_moderator)
    page = html(client.get(thread_url(thread_a)))
    assert reverse("moderation:item", args=[thread_a.posts.first().pk]) in page
    with CaptureQueriesContext(connection) as few:
        client.get(thread_url(thread_a))
    for i in range(10):
        channel_services.do_reply(actor=other_citizen, thread=thread_a, body=f"返信 {i}")
    with CaptureQueriesContext(connection) as many:
        page = html(client.get(thread_url(thread_a)))
    assert page.count(">モデレーション<") == 11
    assert len(many) == len(few)
