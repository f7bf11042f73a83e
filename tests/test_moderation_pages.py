"""The queue, the item page, the audit log and its CSV export, the public transparency page."""

import csv
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from channels import services as channel_services
from channels.models import Channel
from moderation.models import QueueItem
from moderation.views import csv_safe
from tests.test_moderation_support import *  # noqa: F403
from tests.test_moderation_support import act, flag_as, flaggers, html

pytestmark = pytest.mark.django_db


def make_posts(thread, author, n, prefix="投稿"):
    return [channel_services.do_reply(actor=author, thread=thread, body=f"{prefix}{i}") for i in range(n)]


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


def test_queue_sorts_oldest_first_or_by_flag_count(client, mod, thread_a, other_citizen):
    old, busy = make_posts(thread_a, other_citizen, 2)
    people = flaggers(2)
    flag_as(people[0], old)
    flag_as(people[0], busy)
    flag_as(people[1], busy)
    QueueItem.objects.filter(post=old).update(opened_at=timezone.now() - dt.timedelta(hours=3))
    client.force_login(mod)
    page = html(client.get(reverse("moderation:queue")))
    assert page.index(f"投稿 {old.pk}") < page.index(f"投稿 {busy.pk}")
    page = html(client.get(reverse("moderation:queue") + "?sort=flags"))
    assert page.index(f"投稿 {busy.pk}") < page.index(f"投稿 {old.pk}")


def test_queue_filters(client, mod, thread_a, other_citizen, stakeholder, channel_b):
    spam, rude = make_posts(thread_a, other_citizen, 2)
    flag_as(flaggers(1)[0], spam, reason="spam")
    flag_as(flaggers(1)[0], rude, reason="harassment")
    b_thread = channel_services.do_create_thread(
        actor=stakeholder, channel=channel_b, title="B の議題", body="B の投稿", kind="public-private"
    )
    b_post = b_thread.posts.get()
    (b_member,) = flaggers(1)
    channel_services.do_grant_membership(actor=None, channel=channel_b, user=b_member)
    flag_as(b_member, b_post, reason="spam")
    client.force_login(mod)
    base = reverse("moderation:queue")

    def shown(query):
        page = html(client.get(base + query))
        return {p.pk for p in (spam, rude, b_post) if f"投稿 {p.pk}" in page}

    assert shown("") == {spam.pk, rude.pk, b_post.pk}
    assert shown("?reason=harassment") == {rude.pk}
    assert shown("?tier=B") == {b_post.pk}
    assert shown(f"?channel={thread_a.channel_id}") == {spam.pk, rude.pk}
    act(mod, spam, "dismiss", reason="問題なし")
    assert shown("?state=open") == {rude.pk, b_post.pk}
    assert shown("?state=decided") == {spam.pk}


def test_queue_page_query_count_does_not_grow(client, mod, thread_a, other_citizen):
    client.force_login(mod)
    for post in make_posts(thread_a, other_citizen, 3):
        flag_as(flaggers(1)[0], post)
    few = queries(client, reverse("moderation:queue"))
    for post in make_posts(thread_a, other_citizen, 20, prefix="追加"):
        for user in flaggers(2):
            flag_as(user, post, reason="off_topic")
    assert queries(client, reverse("moderation:queue")) == few


def test_item_page_query_count_does_not_grow(client, mod, thread_a, other_citizen):
    post, *_ = make_posts(thread_a, other_citizen, 3)
    flag_as(flaggers(1)[0], post)
    client.force_login(mod)
    url = reverse("moderation:item", args=[post.pk])
    few = queries(client, url)
    for user in flaggers(10):
        flag_as(user, post, reason="other", note="理由")
    for other in make_posts(thread_a, other_citizen, 5):
        act(mod, other, "hide")
    assert queries(client, url) == few


def test_audit_log_filters_and_bounded_queries(client, mod, thread_a, other_citizen):
    posts = make_posts(thread_a, other_citizen, 3)
    act(mod, posts[0], "hide", reason="理由A")
    client.force_login(mod)
    url = reverse("moderation:log")
    few = queries(client, url)
    for post in posts[1:]:
        act(mod, post, "remove", reason="理由B")
    assert queries(client, url) == few
    page = html(client.get(url + "?action=remove"))
    assert "理由B" in page and "理由A" not in page
    page = html(client.get(url + f"?post={posts[0].pk}"))
    assert "理由A" in page and "理由B" not in page
    page = html(client.get(url + "?automatic=auto"))
    assert "理由A" not in page
    assert client.get(url + "?month=garbage").status_code == 200


def test_csv_export_is_injection_safe(client, mod, thread_a, other_citizen):
    post = channel_services.do_reply(actor=other_citizen, thread=thread_a, body="本文")
    act(mod, post, "hide", reason='=HYPERLINK("http://evil.example","click")')
    act(mod, post, "restore", reason="+1 だと思います")
    act(mod, post, "remove", reason="@SUM(A1) -2 など")
    client.force_login(mod)
    response = client.get(reverse("moderation:log_export"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][0] == "id"
    reasons = {row[5] for row in rows[1:]}
    assert '\'=HYPERLINK("http://evil.example","click")' in reasons
    assert "'+1 だと思います" in reasons and "'@SUM(A1) -2 など" in reasons
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell
    assert csv_safe("-1") == "'-1" and csv_safe("普通の文") == "普通の文" and csv_safe(None) == ""


def test_csv_export_for_moderators_only(client, citizen):
    client.force_login(citizen)
    assert client.get(reverse("moderation:log_export")).status_code == 404


def test_transparency_counts_without_personal_data(client, mod, thread_a, other_citizen, citizen):
    posts = make_posts(thread_a, other_citizen, 3)
    flag_as(flaggers(1)[0], posts[0], reason="spam")
    flag_as(flaggers(1)[0], posts[1], reason="spam")
    flag_as(flaggers(1)[0], posts[2], reason="harassment")
    act(mod, posts[0], "hide", reason="宣伝目的の投稿")
    act(mod, posts[1], "remove", reason="宣伝目的の投稿")
    act(mod, posts[2], "dismiss", reason="問題なし")
    client.logout()
    month = timezone.localdate().strftime("%Y-%m")
    page = html(client.get(reverse("moderation:transparency") + f"?month={month}"))
    assert "通報の理由（合計 3件）" in page and "対応の種類（合計 3件）" in page
    assert "スパム・宣伝" in page and "嫌がらせ・誹謗中傷" in page
    for secret in (
        "宣伝目的の投稿",
        other_citizen.pen_name,
        other_citizen.real_name,
        mod.pen_name,
        mod.real_name,
        citizen.pen_name,
        "投稿0",
    ):
        assert secret not in page
    # An empty month renders too.
    assert client.get(reverse("moderation:transparency") + "?month=2001-01").status_code == 200


def test_move_targets_same_tier_only(client, mod, thread_a, other_citizen):
    post = channel_services.do_reply(actor=other_citizen, thread=thread_a, body="本文")
    client.force_login(mod)
    page = html(client.get(reverse("moderation:item", args=[post.pk])))
    select = re.search(r'<select name="channel" id="move-channel".*?</select>', page, re.S).group()
    assert select.count("<option") == Channel.objects.filter(tier_id="A").count() - 1
    for channel in Channel.objects.exclude(tier_id="A"):
        assert f'<option value="{channel.pk}">' not in select


HOSTILE = [
    '<script>alert("x")</script>',
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
]


def test_nothing_typed_runs_as_script_in_moderation_pages(client, mod, thread_a):
    from tests.conftest import make_user

    author = make_user("xss.author@example.jp", pen_name="<b onmouseover=alert(1)>x</b>"[:20])
    posts = [channel_services.do_reply(actor=author, thread=thread_a, body=f"本文 {h}") for h in HOSTILE]
    for post, hostile in zip(posts, HOSTILE, strict=True):
        flag_as(flaggers(1)[0], post, reason="other", note=hostile)
        act(mod, post, "hide", reason=hostile)
    client.force_login(mod)
    pages = [
        html(client.get(reverse("moderation:queue") + "?state=")),
        html(client.get(reverse("moderation:log"))),
        *[html(client.get(reverse("moderation:item", args=[p.pk]))) for p in posts],
    ]
    for page in pages:
        for bad in ("<script>alert", "<img src=x", "<svg onload", "<b onmouseover", 'href="javascript:'):
            assert bad not in page, bad
