"""The lifecycle of every moderator action: what the reader sees before and after, and its audit row."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from channels import services as channel_services
from channels.models import Channel, Post, PostRevision, Thread, Visibility
from channels.permissions import can_post_in_channel, is_suspended
from kumagaya_portal.accounts.models import Department
from moderation import services
from moderation.models import AppendOnlyError, AuditEntry, Escalation, Flag, QueueItem
from tests.conftest import make_user
from tests.test_moderation_support import *  # noqa: F403
from tests.test_moderation_support import act, flag_as, flaggers, html, mails_to, thread_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def reply(thread_a, other_citizen):
    return channel_services.do_reply(actor=other_citizen, thread=thread_a, body="ひどい宣伝の書き込みです。")


def reader_sees(client, thread, text) -> bool:
    client.logout()
    response = client.get(thread_url(thread))
    return response.status_code == 200 and text in html(response)


def last_entry() -> AuditEntry:
    return AuditEntry.objects.order_by("-id").first()


# ------------------------------------------------------------------ decisions
def test_hide_then_restore(client, mod, reply, thread_a):
    flag_as(flaggers(1)[0], reply)
    assert reader_sees(client, thread_a, "ひどい宣伝の書き込みです。")

    act(mod, reply, "hide", reason="宣伝が目的の投稿のため")
    reply.refresh_from_db()
    assert reply.visibility == Visibility.HIDDEN
    entry = last_entry()
    assert (entry.action, entry.actor, entry.post, entry.reason) == ("hide", mod, reply, "宣伝が目的の投稿のため")
    assert entry.before["visibility"] == "published" and entry.after["visibility"] == "hidden"
    assert entry.category == "spam"  # from the flag, for the transparency report
    client.logout()
    page = html(client.get(thread_url(thread_a)))
    assert "ひどい宣伝の書き込みです。" not in page and "モデレーターにより非表示にされました" in page
    assert "宣伝が目的の投稿のため" not in page  # the reason is for the author, not readers
    assert Flag.objects.get(post=reply).state == Flag.State.RESOLVED
    assert QueueItem.objects.get(post=reply).state == QueueItem.State.DECIDED

    act(mod, reply, "restore", reason="確認の結果、問題ありませんでした")
    reply.refresh_from_db()
    assert reply.visibility == Visibility.PUBLISHED and reply.moderation_reason == ""
    assert last_entry().before["visibility"] == "hidden" and last_entry().after["visibility"] == "published"
    assert reader_sees(client, thread_a, "ひどい宣伝の書き込みです。")


def test_author_sees_hidden_post_and_reason(client, mod, reply, thread_a, other_citizen):
    act(mod, reply, "hide", reason="個人攻撃にあたるため")
    client.force_login(other_citizen)
    page = html(client.get(thread_url(thread_a)))
    assert "ひどい宣伝の書き込みです。" in page and "個人攻撃にあたるため" in page


def test_remove_shows_reason_in_its_place(client, mod, reply, thread_a):
    act(mod, reply, "remove", reason="利用ガイドライン第3条に反するため")
    reply.refresh_from_db()
    assert reply.visibility == Visibility.REMOVED
    assert last_entry().action == "remove" and last_entry().after["visibility"] == "removed"
    client.logout()
    page = html(client.get(thread_url(thread_a)))
    assert "ひどい宣伝の書き込みです。" not in page and "利用ガイドライン第3条に反するため" in page
    assert Post.objects.filter(pk=reply.pk).exists()  # never destroyed


def test_dismiss_keeps_post_and_resolves_flags(client, mod, reply, thread_a):
    for user in flaggers(2):
        flag_as(user, reply, reason="off_topic")
    act(mod, reply, "dismiss", reason="話題に沿った投稿です")
    reply.refresh_from_db()
    assert reply.visibility == Visibility.PUBLISHED
    assert not Flag.objects.filter(post=reply, state=Flag.State.OPEN).exists()
    item = QueueItem.objects.get(post=reply)
    assert item.state == QueueItem.State.DECIDED and item.flag_count == 0
    entry = last_entry()
    assert entry.action == "dismiss" and entry.before == entry.after and entry.category == "off_topic"
    assert reader_sees(client, thread_a, "ひどい宣伝の書き込みです。")


def test_approve_pending_post_of_new_account(client, mod, channel_a, settings, thread_a):
    settings.MODERATION_NEW_ACCOUNT_POSTS = 2
    newcomer = make_user("newcomer.a@example.jp", pen_name="はじめて")
    post = channel_services.do_reply(actor=newcomer, thread=thread_a, body="はじめて投稿します。")
    assert post.visibility == Visibility.PENDING
    assert not reader_sees(client, thread_a, "はじめて投稿します。")
    hold = last_entry()
    assert hold.action == "auto_hold" and hold.actor is None and hold.category == "new_account"
    assert hold.after == {"visibility": "pending"}
    act(mod, post, "restore", reason="問題ありません")
    assert reader_sees(client, thread_a, "はじめて投稿します。")
    assert last_entry().before["visibility"] == "pending"


def test_redact_keeps_original_for_moderators_only(client, mod, thread_a, other_citizen):
    post = channel_services.do_reply(actor=other_citizen, thread=thread_a, body="連絡先は 090-1234-5678 です。")
    assert post.visibility == Visibility.PENDING  # personal-data hold
    # An earlier revision with the number must not survive either.
    Post.objects.filter(pk=post.pk).update(body="連絡先は 090-1234-5678 です！")
    PostRevision.objects.create(post=post, body="連絡先は 090-1234-5678 です。", body_html="", editor=other_citizen)

    act(mod, post, "redact", reason="電話番号を削除しました", new_body="連絡先は（削除しました）です。")
    post.refresh_from_db()
    assert post.visibility == Visibility.PUBLISHED
    assert "090" not in post.body and "090" not in post.body_html
    assert not PostRevision.objects.filter(post=post).exists()
    entry = last_entry()
    assert entry.action == "redact"
    assert entry.before["body"] == "連絡先は 090-1234-5678 です！"
    assert entry.before["revisions"] == ["連絡先は 090-1234-5678 です。"]
    assert entry.after["body"] == "連絡先は（削除しました）です。"
    page = html(client.get(thread_url(thread_a)))
    assert "連絡先は（削除しました）です。" in page and "090-1234-5678" not in page
    # The original is in the moderators' audit log, and nowhere a reader can reach.
    client.force_login(mod)
    assert "090-1234-5678" in html(client.get(reverse("moderation:log")))


def test_lock_and_unlock_thread(client, mod, reply, thread_a, other_citizen):
    act(mod, reply, "lock", reason="議論が荒れているため一時的にロックします")
    thread_a.refresh_from_db()
    assert thread_a.is_locked
    entry = last_entry()
    assert entry.action == "lock" and entry.before == {"is_locked": False} and entry.after == {"is_locked": True}
    client.logout()
    assert "ロックされています" in html(client.get(thread_url(thread_a)))
    client.force_login(other_citizen)
    response = client.post(
        reverse("channels:reply", args=[thread_a.channel.slug, thread_a.pk]), {"body": "ロック中の返信"}
    )
    assert not Post.objects.filter(body="ロック中の返信").exists()
    assert response.status_code in (302, 403, 404, 200)
    act(mod, reply, "unlock", reason="落ち着いたため解除します")
    thread_a.refresh_from_db()
    assert not thread_a.is_locked and last_entry().action == "unlock"


def test_move_thread_within_tier_only(client, mod, reply, thread_a, channel_a, channel_b):
    target = Channel.objects.filter(tier_id="A").exclude(pk=channel_a.pk).first()
    act(mod, reply, "move", reason="テーマに合うチャンネルへ移動します", channel=target)
    thread_a.refresh_from_db()
    assert thread_a.channel == target
    entry = last_entry()
    assert entry.before == {"channel": channel_a.pk} and entry.after == {"channel": target.pk}
    assert QueueItem.objects.get(post=reply).channel == target
    client.logout()
    assert client.get(reverse("channels:thread", args=[target.slug, thread_a.pk])).status_code == 200
    # Across tiers the authors' display would change (pen name ↔ real name): refused.
    with pytest.raises(services.ModerationError):
        act(mod, reply, "move", reason="B へ", channel=channel_b)
    thread_a.refresh_from_db()
    assert thread_a.channel == target


def test_warn_user(mod, reply, other_citizen, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        act(mod, reply, "warn", reason="言葉づかいに気をつけてください")
    entry = last_entry()
    assert entry.action == "warn" and entry.subject_user == other_citizen
    (message,) = mails_to(other_citizen)
    assert "言葉づかいに気をつけてください" in message.body


def test_suspend_user_for_a_period_then_lift(client, mod, reply, thread_a, other_citizen):
    act(mod, reply, "suspend", reason="繰り返しの違反のため", days=7)
    other_citizen.refresh_from_db()
    assert is_suspended(other_citizen)
    assert other_citizen.suspended_until > timezone.now() + dt.timedelta(days=6)
    entry = last_entry()
    assert entry.action == "suspend" and entry.before == {"suspended_until": None}
    assert entry.after["suspended_until"]
    # Can read, cannot post or flag.
    client.force_login(other_citizen)
    assert client.get(thread_url(thread_a)).status_code == 200
    assert not can_post_in_channel(other_citizen, thread_a.channel)
    first = thread_a.posts.order_by("created_at").first()
    with pytest.raises(services.NotAllowed):
        flag_as(other_citizen, first)
    response = client.get(reverse("moderation:flag", args=[first.pk]))
    assert response.status_code == 302
    act(mod, reply, "unsuspend", reason="期間を短縮します")
    other_citizen.refresh_from_db()
    assert not is_suspended(other_citizen) and last_entry().action == "unsuspend"


def test_channel_moderator_cannot_suspend(channel_moderator, reply):
    with pytest.raises(services.ModerationError):
        act(channel_moderator, reply, "suspend", days=3)


def test_escalate_to_policy_research_by_default_and_answer(
    client, mod, reply, staff, django_capture_on_commit_callbacks
):
    policy = Department.objects.get(escalation_contact=True)
    assert policy.slug == "policy-research" and staff.department == policy
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        act(mod, reply, "escalate", reason="条例との関係を確認してください")
    escalation = Escalation.objects.get()
    assert escalation.department == policy and escalation.state == "open"
    assert QueueItem.objects.get(post=reply).state == QueueItem.State.ESCALATED
    assert last_entry().action == "escalate" and last_entry().escalation == escalation
    assert len(mails_to(staff)) == 1

    client.force_login(staff)
    listing = html(client.get(reverse("moderation:escalations")))
    assert "条例との関係を確認してください" in listing
    url = reverse("moderation:escalation", args=[escalation.pk])
    assert client.post(url, {"answer": ""}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"answer": "条例上の問題はありません。公開して差し支えありません。"})
    assert response.status_code == 302
    escalation.refresh_from_db()
    assert escalation.state == "closed" and escalation.answered_by == staff
    assert QueueItem.objects.get(post=reply).state == QueueItem.State.OPEN  # back to moderators
    assert last_entry().action == "escalation_answered"
    assert len(mails_to(mod)) == 1


def test_other_department_staff_get_404_on_escalation(client, mod, reply):
    act(mod, reply, "escalate", reason="確認をお願いします")
    other = make_user("other.staff@example.jp", real_name="他課 職員", staff=True)
    other.department = Department.objects.exclude(escalation_contact=True).first()
    other.save()
    client.force_login(other)
    escalation = Escalation.objects.get()
    assert client.get(reverse("moderation:escalation", args=[escalation.pk])).status_code == 404
    assert "確認をお願いします" not in html(client.get(reverse("moderation:escalations")))


# --------------------------------------------------------- concurrent decisions
def test_second_moderator_is_told_it_was_already_decided(client, mod, reply):
    other_mod = make_user("second.mod@example.jp", real_name="二人目", pen_name="二番手", verified=True)
    other_mod.groups.add(*mod.groups.all())
    flag_as(flaggers(1)[0], reply)
    version = QueueItem.objects.get(post=reply).version
    act(mod, reply, "hide", expected_version=version)
    with pytest.raises(services.AlreadyDecided):
        act(other_mod, reply, "remove", expected_version=version)
    reply.refresh_from_db()
    assert reply.visibility == Visibility.HIDDEN
    assert AuditEntry.objects.filter(post=reply, action__in=["hide", "remove"]).count() == 1
    # Through the page: the stale form is refused with a message.
    client.force_login(other_mod)
    response = client.post(
        reverse("moderation:act", args=[reply.pk]),
        {"action": "remove", "reason": "削除します", "version": version},
        follow=True,
    )
    assert "すでに対応しました" in html(response)
    reply.refresh_from_db()
    assert reply.visibility == Visibility.HIDDEN


def test_claim(client, mod, reply):
    other_mod = make_user("claim.mod@example.jp", real_name="担当 二郎", pen_name="担当者", verified=True)
    other_mod.groups.add(*mod.groups.all())
    flag_as(flaggers(1)[0], reply)
    item = QueueItem.objects.get(post=reply)
    services.do_claim(actor=mod, item=item)
    with pytest.raises(services.ModerationError):
        services.do_claim(actor=other_mod, item=item)
    client.force_login(other_mod)
    assert "見守り係さんが担当しています" in html(client.get(reverse("moderation:item", args=[reply.pk])))
    services.do_claim(actor=mod, item=item, release=True)
    services.do_claim(actor=other_mod, item=item)
    assert QueueItem.objects.get(pk=item.pk).claimed_by == other_mod


# --------------------------------------------------------------- via the page
def test_item_page_actions_through_forms(client, mod, reply, thread_a):
    flag_as(flaggers(1)[0], reply, reason="harassment")
    client.force_login(mod)
    page = html(client.get(reverse("moderation:item", args=[reply.pk])))
    assert "ひどい宣伝の書き込みです。" in page and "嫌がらせ・誹謗中傷" in page
    version = QueueItem.objects.get(post=reply).version
    # A missing reason is refused with the typed text kept.
    response = client.post(reverse("moderation:act", args=[reply.pk]), {"action": "hide", "version": version})
    assert response.status_code == 400 and "理由を入力してください" in html(response)
    response = client.post(
        reverse("moderation:act", args=[reply.pk]),
        {"action": "redact", "version": version, "new_body": "書き直し途中の本文", "reason": ""},
    )
    assert response.status_code == 400 and "書き直し途中の本文" in html(response)
    response = client.post(
        reverse("moderation:act", args=[reply.pk]), {"action": "hide", "version": version, "reason": "嫌がらせのため"}
    )
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.visibility == Visibility.HIDDEN


def test_thread_follows_its_first_post(client, mod, thread_a):
    first = thread_a.posts.order_by("created_at").first()
    act(mod, first, "hide", reason="トピック全体が宣伝のため")
    thread_a.refresh_from_db()
    assert thread_a.visibility == Visibility.HIDDEN
    client.logout()
    assert client.get(thread_url(thread_a)).status_code == 404
    assert "駅前に木陰を" not in html(client.get(reverse("channels:channel", args=[thread_a.channel.slug])))
    act(mod, first, "restore", reason="問題ありません")
    thread_a.refresh_from_db()
    assert thread_a.visibility == Visibility.PUBLISHED
    assert "駅前に木陰を" in html(client.get(reverse("channels:channel", args=[thread_a.channel.slug])))


# ------------------------------------------------------------------ audit log
def test_audit_log_is_append_only(mod, reply):
    act(mod, reply, "hide")
    entry = last_entry()
    entry.reason = "書き換え"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="書き換え")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.bulk_update([entry], ["reason"])
    assert AuditEntry.objects.get(pk=entry.pk).reason == "ガイドラインに照らして判断しました。"


def test_admin_is_read_only(client, mod, reply):
    from django.contrib import admin

    act(mod, reply, "hide")
    model_admin = admin.site._registry[AuditEntry]
    request = type("R", (), {"user": make_user("root@example.jp", is_superuser=True, is_staff=True)})()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, last_entry())
    assert not model_admin.has_delete_permission(request, last_entry())


def test_every_action_writes_exactly_one_row(mod, reply, thread_a):
    target = Channel.objects.filter(tier_id="A").exclude(pk=thread_a.channel_id).first()
    steps = [
        ("hide", {}),
        ("restore", {}),
        ("remove", {}),
        ("restore", {}),
        ("dismiss", {}),
        ("redact", {"new_body": "書き直しました。"}),
        ("lock", {}),
        ("unlock", {}),
        ("move", {"channel": target}),
        ("warn", {}),
        ("suspend", {"days": 1}),
        ("unsuspend", {}),
        ("escalate", {}),
    ]
    for action, extra in steps:
        before = AuditEntry.objects.count()
        act(mod, reply, action, **extra)
        assert AuditEntry.objects.count() == before + 1, action
        assert last_entry().action == action and last_entry().actor == mod and last_entry().reason


def test_thread_model_untouched_by_dismiss(mod, reply, thread_a):
    before = Thread.objects.values().get(pk=thread_a.pk)
    act(mod, reply, "dismiss")
    assert Thread.objects.values().get(pk=thread_a.pk) == before
