"""Threads and posts as a user meets them: start, reply, quote, edit, delete, phases, states, lists."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from channels import services
from channels.models import Channel, PhaseChange, Post, PostRevision, Thread, Visibility
from kumagaya_portal.accounts.models import StaffRules
from tests.conftest import make_user
from tests.test_channels_support import *  # noqa: F403
from tests.test_channels_support import make_role

pytestmark = pytest.mark.django_db


def thread_url(thread, page=None):
    url = reverse("channels:thread", args=[thread.channel.slug, thread.pk])
    return f"{url}?page={page}" if page else url


def new_url(channel):
    return reverse("channels:new_thread", args=[channel.slug])


def reply_url(thread):
    return reverse("channels:reply", args=[thread.channel.slug, thread.pk])


def start(client, channel, **data):
    form = {
        "title": "駅前の木陰を増やしたい",
        "kind": "intermediate",
        "phase": "planning",
        "body": "夏の駅前は暑いです。",
    }
    form.update(data)
    return client.post(new_url(channel), form)


def text(response) -> str:
    return response.content.decode()


def plain(response) -> str:
    """The page's text without tags (names are wrapped in <bdi>)."""
    return re.sub(r"<[^>]+>", "", text(response))


def set_visibility(post, visibility, reason=""):
    mod = make_role("moderator", n=post.pk)
    services.do_set_post_visibility(actor=mod, post=post, visibility=visibility, reason=reason)
    post.refresh_from_db()
    return post


# ------------------------------------------------------------------- starting


def test_citizen_starts_a_thread_in_a_under_pen_name(client, citizen, channel_a):
    client.force_login(citizen)
    response = start(client, channel_a, body="一行目\n二行目")
    thread = Thread.objects.get(title="駅前の木陰を増やしたい")
    assert response.status_code == 302 and response["Location"] == thread_url(thread)
    page = text(client.get(thread_url(thread)))
    assert "くまがやの風" in page
    assert "榊原" not in page and "sumire" not in page
    assert "一行目<br>" in page  # line breaks kept
    assert thread.kind == "intermediate" and thread.phase == "planning"
    assert thread.visible_post_count == 1 and thread.last_post.author == citizen


def test_without_pen_name_the_first_a_post_asks_for_one(client, citizen_without_pen_name, channel_a):
    client.force_login(citizen_without_pen_name)
    response = client.get(new_url(channel_a))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:pen_name')}?next=%2Flab%2F{channel_a.slug}%2Fnew%2F"
    assert start(client, channel_a).status_code == 302
    assert not Thread.objects.filter(channel=channel_a).exists()


def test_guidelines_come_first(client, channel_a):
    user = make_user("noguide@example.jp", pen_name="ガイド前")
    user.guidelines_version = ""
    user.save()
    client.force_login(user)
    assert client.get(new_url(channel_a))["Location"].startswith(reverse("accounts:guidelines") + "?next=")


def test_staff_confirm_staff_rules_before_first_post(client, channel_b):
    user = make_user("newstaff@example.jp", real_name="新任 職員", staff=True)
    user.staff_rules_version = ""
    user.save()
    client.force_login(user)
    response = client.get(new_url(channel_b))
    assert response["Location"].startswith(reverse("accounts:staff_rules") + "?next=")
    user.staff_rules_version = StaffRules.current().version
    user.save()
    assert client.get(new_url(channel_b)).status_code == 200


def test_anonymous_is_sent_to_log_in(client, channel_a):
    response = client.get(new_url(channel_a))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_thread_with_citation_links_the_official_page(client, citizen, channel_a):
    from archive.models import Meeting
    from cms.models import SectionPage

    page = SectionPage.objects.live().first()
    meeting = Meeting.objects.filter(is_public=True).first()
    client.force_login(citizen)
    start(client, channel_a, citation=f"page:{page.pk}")
    thread = Thread.objects.get(channel=channel_a)
    assert thread.citations.get().page_id == page.pk
    html = text(client.get(thread_url(thread)))
    assert "出発点となる公式情報" in html and page.title in html
    start(client, channel_a, title="会議の続き", citation=f"meeting:{meeting.pk}")
    assert Thread.objects.get(title="会議の続き").citations.get().meeting_id == meeting.pk


# ------------------------------------------------------------ reply and quote


def test_reply_and_quote(client, citizen, world):
    thread = world.threads["A"]
    quoted = world.posts["A"]
    client.force_login(citizen)
    form = client.get(reply_url(thread) + f"?quote={quoted.pk}")
    assert form.status_code == 200 and "Aの返信" in text(form)
    response = client.post(reply_url(thread), {"body": "賛成です", "quote": quoted.pk})
    post = Post.objects.get(body="賛成です")
    assert post.quoted_id == quoted.pk
    assert response["Location"].endswith(f"#post-{post.pk}")
    html = text(client.get(thread_url(thread)))
    block = html[html.index(f'id="post-{post.pk}"') :]
    assert '<blockquote class="quote">' in block and "まちの声" in block and "Aの返信" in block
    # The quoted post is deleted by its author: the quote says so, without the text.
    services.do_delete_own_post(actor=world.author_a, post=quoted)
    html = text(client.get(thread_url(thread)))
    block = html[html.index(f'id="post-{post.pk}"') :]
    assert "この投稿は表示できません" in block
    assert "Aの返信" not in html


def test_quote_of_a_hidden_post_is_not_shown(client, citizen, world):
    quoted = world.posts["A"]
    client.force_login(citizen)
    client.post(reply_url(world.threads["A"]), {"body": "引用します", "quote": quoted.pk})
    set_visibility(quoted, Visibility.HIDDEN, "個人情報")
    html = text(client.get(thread_url(world.threads["A"])))
    assert "この投稿は表示できません" in html and "Aの返信" not in html


def test_quote_from_another_thread_is_404(client, citizen, world):
    client.force_login(citizen)
    other = services.do_create_thread(actor=citizen, channel=world.a, title="別", body="別の本文", kind="private-led")
    first = other.posts.get()
    assert client.get(reply_url(world.threads["A"]) + f"?quote={first.pk}").status_code == 404
    assert client.post(reply_url(world.threads["A"]), {"body": "x", "quote": first.pk}).status_code == 404
    assert client.get(reply_url(world.threads["A"]) + "?quote=abc").status_code == 404


def test_locked_thread_accepts_no_replies(client, citizen, world):
    thread = world.threads["A"]
    services.do_lock_thread(actor=None, thread=thread)
    client.force_login(citizen)
    html = text(client.get(thread_url(thread)))
    assert "ロックされているため、返信できません" in html and 'name="body"' not in html
    response = client.post(reply_url(thread), {"body": "まだ話したい"})
    assert response.status_code == 403 and "ロックされているため" in text(response)
    assert not Post.objects.filter(body="まだ話したい").exists()


# --------------------------------------------------------------- edit, delete


def test_edit_keeps_history_for_moderators_only(client, world):
    post = world.posts["A"]
    client.force_login(world.author_a)
    edit = reverse("channels:edit_post", args=[world.a.slug, post.pk])
    assert client.get(edit).status_code == 200
    response = client.post(edit, {"body": "直しました"})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.body == "直しました" and post.edited_at is not None
    assert list(PostRevision.objects.filter(post=post).values_list("body", flat=True)) == ["Aの返信"]
    html = text(client.get(thread_url(world.threads["A"])))
    assert "編集済み" in html and "Aの返信" not in html
    revisions = reverse("channels:post_revisions", args=[world.a.slug, post.pk])
    assert client.get(revisions).status_code == 404  # the author is not a moderator
    client.force_login(make_role("moderator"))
    assert "編集履歴" in text(client.get(thread_url(world.threads["A"])))
    page = client.get(revisions)
    assert page.status_code == 200 and "Aの返信" in text(page) and "直しました" in text(page)


def test_delete_leaves_a_placeholder_and_replies_keep_their_place(client, world, citizen):
    thread = world.threads["A"]
    first, second = list(thread.posts.order_by("created_at", "id"))
    third = services.do_reply(actor=citizen, thread=thread, body="三番目")
    client.force_login(world.author_a)
    delete = reverse("channels:delete_post", args=[world.a.slug, second.pk])
    assert "削除しますか" in text(client.get(delete))
    client.post(delete)
    second.refresh_from_db()
    thread.refresh_from_db()
    assert second.is_deleted_by_author and thread.visible_post_count == 2
    html = text(client.get(thread_url(thread)))
    assert "投稿者により削除されました" in html and "Aの返信" not in html
    assert (
        html.index(f'id="post-{first.pk}"') < html.index(f'id="post-{second.pk}"') < html.index(f'id="post-{third.pk}"')
    )
    # Deleted once: the form is gone for good.
    assert client.get(delete).status_code == 403


def test_others_cannot_edit_or_delete(client, world, citizen):
    client.force_login(citizen)
    post = world.posts["A"]
    assert client.get(reverse("channels:edit_post", args=[world.a.slug, post.pk])).status_code == 404
    assert client.post(reverse("channels:edit_post", args=[world.a.slug, post.pk]), {"body": "x"}).status_code == 404
    assert client.post(reverse("channels:delete_post", args=[world.a.slug, post.pk])).status_code == 404
    post.refresh_from_db()
    assert post.body == "Aの返信" and not post.is_deleted_by_author


# ---------------------------------------------------------------------- phases


def test_phase_moves_forward_and_back_and_is_recorded(client, world, citizen):
    thread = world.threads["A"]
    url = reverse("channels:phase", args=[world.a.slug, thread.pk])
    client.force_login(citizen)
    assert client.post(url, {"phase": "execution"}).status_code == 403
    client.force_login(world.author_a)
    client.post(url, {"phase": "execution"})
    client.post(url, {"phase": "planning"})
    client.force_login(make_role("staff"))
    client.post(url, {"phase": "archived"})
    assert list(PhaseChange.objects.filter(thread=thread).values_list("from_phase", "to_phase")) == [
        ("planning", "execution"),
        ("execution", "planning"),
        ("planning", "archived"),
    ]
    thread.refresh_from_db()
    assert thread.phase == "archived"
    assert client.post(url, {"phase": "nonsense"}).status_code == 200  # field error, not a 500


# ------------------------------------------------------------ visibility states


def test_pending_post_is_seen_by_its_author_and_moderators_only(client, world, citizen):
    post = services.do_reply(actor=citizen, thread=world.threads["A"], body="確認を待つ投稿")
    set_visibility(post, Visibility.PENDING, "個人情報の可能性があるため、確認しています。")
    url = thread_url(world.threads["A"])
    client.force_login(citizen)
    html = text(client.get(url))
    assert "確認を待つ投稿" in html and "確認待ち" in html and "個人情報の可能性があるため" in html
    client.force_login(world.author_a)
    html = text(client.get(url))
    assert "確認を待つ投稿" not in html and f'id="post-{post.pk}"' not in html
    client.logout()
    assert "確認を待つ投稿" not in text(client.get(url))
    assert client.get(reverse("channels:post", args=[world.a.slug, post.pk])).status_code == 404
    client.force_login(make_role("moderator"))
    assert "確認を待つ投稿" in text(client.get(url))


def test_hidden_post(client, world, citizen):
    post = services.do_reply(actor=citizen, thread=world.threads["A"], body="隠される投稿")
    set_visibility(post, Visibility.HIDDEN, "ガイドライン違反のため")
    url = thread_url(world.threads["A"])
    client.force_login(world.author_a)
    html = text(client.get(url))
    assert "モデレーターにより非表示にされました" in html and "隠される投稿" not in html
    assert "ガイドライン違反のため" not in html
    client.force_login(citizen)
    html = text(client.get(url))
    assert "隠される投稿" in html and "ガイドライン違反のため" in html


def test_removed_post_shows_the_reason(client, world, citizen):
    post = services.do_reply(actor=citizen, thread=world.threads["A"], body="消される投稿")
    set_visibility(post, Visibility.REMOVED, "差別的な表現を含むため")
    for user in (None, citizen, world.author_a):
        client.logout()
        if user:
            client.force_login(user)
        html = text(client.get(thread_url(world.threads["A"])))
        assert "削除されました：差別的な表現を含むため" in html and "消される投稿" not in html


def test_counts_and_last_post_only_count_readable_posts(client, world, citizen):
    thread = world.threads["A"]
    late = services.do_reply(actor=citizen, thread=thread, body="最後の投稿")
    thread.refresh_from_db()
    assert thread.visible_post_count == 3 and thread.last_post_id == late.pk
    set_visibility(late, Visibility.HIDDEN, "理由")
    thread.refresh_from_db()
    assert thread.visible_post_count == 2 and thread.last_post_id == world.posts["A"].pk
    html = text(client.get(reverse("channels:channel", args=[world.a.slug])))
    assert "2件の投稿" in html and "くまがやの風" not in html


def test_held_first_post_holds_the_thread(client, citizen, channel_a):
    from channels import hooks

    def hold_all(author, channel, body):
        return hooks.Hold(code="test", message="はじめての投稿のため、確認しています。")

    hooks.post_checks.insert(0, hold_all)
    try:
        client.force_login(citizen)
        start(client, channel_a, title="確認待ちのトピック")
    finally:
        hooks.post_checks.remove(hold_all)
    thread = Thread.objects.get(title="確認待ちのトピック")
    assert thread.visibility == Visibility.PENDING and thread.visible_post_count == 0
    assert "確認待ち" in text(client.get(thread_url(thread)))
    client.logout()
    assert client.get(thread_url(thread)).status_code == 404
    assert "確認待ちのトピック" not in text(client.get(reverse("channels:channel", args=[channel_a.slug])))


# ---------------------------------------------------------------- channel page


def test_channel_lists_by_last_activity_with_filters(client, citizen, channel_a):
    old = services.do_create_thread(actor=citizen, channel=channel_a, title="古い話題", body="本文", kind="private-led")
    new = services.do_create_thread(
        actor=citizen, channel=channel_a, title="新しい話題", body="本文", kind="public-private", phase="execution"
    )
    url = reverse("channels:channel", args=[channel_a.slug])
    html = text(client.get(url))
    assert html.index("新しい話題") < html.index("古い話題")
    services.do_reply(actor=citizen, thread=old, body="盛り返し")
    html = text(client.get(url))
    assert html.index("古い話題") < html.index("新しい話題")
    html = text(client.get(url + "?kind=public-private"))
    assert "新しい話題" in html and "古い話題" not in html
    html = text(client.get(url + "?phase=execution"))
    assert "新しい話題" in html and "古い話題" not in html
    # Values not in the list are ignored, never a 500.
    response = client.get(url + "?kind=<script>&phase=x&page=abc")
    assert response.status_code == 200 and "古い話題" in text(response)
    assert new.pk


def test_channel_pagination_keeps_filters(client, citizen, channel_a):
    now = timezone.now()
    for i in range(settings.THREADS_PER_PAGE + 3):
        Thread.objects.create(
            channel=channel_a,
            title=f"話題{i:03d}",
            kind="private-led",
            author=citizen,
            last_activity_at=now - dt.timedelta(minutes=i),
        )
    url = reverse("channels:channel", args=[channel_a.slug])
    first = text(client.get(url + "?kind=private-led"))
    assert "話題000" in first and "話題032" not in first
    assert "kind=private-led&amp;page=2" in first
    second = text(client.get(url + "?kind=private-led&page=2"))
    assert "話題032" in second and "話題000" not in second


def test_thread_pages_have_50_posts(client, citizen, world):
    thread = world.threads["A"]
    for i in range(60):
        services.do_reply(actor=citizen, thread=thread, body=f"返信{i:02d}")
    first = text(client.get(thread_url(thread)))
    assert len(re.findall(r'<article class="post', first)) == 50
    second = text(client.get(thread_url(thread, 2)))
    assert len(re.findall(r'<article class="post', second)) == 12
    last = Post.objects.get(body="返信59")
    permalink = client.get(reverse("channels:post", args=[world.a.slug, last.pk]))
    assert permalink["Location"] == thread_url(thread, 2) + f"#post-{last.pk}"


def test_departments_and_planning_room_notice(client, world, citizen):
    member = make_role("member_b")
    a_url = reverse("channels:channel", args=[world.a.slug])
    b_url = reverse("channels:channel", args=[world.b.slug])
    html = text(client.get(a_url))
    assert "担当課" in html and "商業観光課" in html and "都市計画課" in html
    assert "関係者向けの企画チャンネル" in html and b_url not in html
    client.force_login(member)
    html = text(client.get(a_url))
    assert b_url in html
    html = text(client.get(b_url))
    assert a_url in html and "運営について話し合う企画チャンネル" in html
    assert citizen


# ---------------------------------------------------------- B and C identity


def test_b_shows_real_name_and_organisation_and_needs_verification(client, world):
    client.force_login(world.author_b)
    assert "著者 ビー（株式会社ビー）" in plain(client.get(thread_url(world.threads["B"])))
    unverified = make_user("unverified@example.jp", real_name="未確認 太郎", organisation="個人")
    services.do_grant_membership(actor=None, channel=world.b, user=unverified)
    client.force_login(unverified)
    response = client.get(new_url(world.b))
    assert response.status_code == 403 and "実名の確認が必要です" in text(response)
    html = text(client.get(thread_url(world.threads["B"])))
    assert "実名の確認が必要です" in html and 'name="body"' not in html


def test_suspended_user_reads_but_does_not_post(client, world):
    user = make_role("suspended")
    client.force_login(user)
    assert client.get(thread_url(world.threads["A"])).status_code == 200
    response = client.post(reply_url(world.threads["A"]), {"body": "停止中の投稿"})
    assert response.status_code == 403 and "一時停止されています" in text(response)
    assert not Post.objects.filter(body="停止中の投稿").exists()


def test_staff_only_and_closed_channels(client, citizen, staff):
    announcements = Channel.objects.get(slug="announcements")
    client.force_login(citizen)
    response = client.get(new_url(announcements))
    assert response.status_code == 403 and "市職員のみ投稿できます" in text(response)
    staff.pen_name = "政策調査課の中の人"
    staff.save()
    client.force_login(staff)
    assert client.get(new_url(announcements)).status_code == 200
    announcements.posting_policy = "closed"
    announcements.save()
    response = client.get(new_url(announcements))
    assert response.status_code == 403 and "締め切りました" in text(response)


def test_department_staff_change_settings(client, channel_a, citizen):
    dept = make_role("staff_of_department")
    other_staff = make_role("staff")
    url = reverse("channels:settings", args=[channel_a.slug])
    client.force_login(other_staff)
    assert client.get(url).status_code == 403
    client.force_login(dept)
    assert client.get(url).status_code == 200
    response = client.post(url, {"posting_policy": "staff_only", "members_only": "on"})
    assert response.status_code == 302
    channel_a.refresh_from_db()
    assert channel_a.members_only and channel_a.posting_policy == "staff_only"
    client.force_login(citizen)
    assert client.get(reverse("channels:channel", args=[channel_a.slug])).status_code == 404
    client.logout()
    assert client.get(reverse("channels:channel", args=[channel_a.slug])).status_code == 404
    client.force_login(dept)
    assert client.post(url, {"posting_policy": "bogus"}).status_code == 200  # field error
