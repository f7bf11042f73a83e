"""Notices through Celery (the outbox): moderators, authors, departments. Nobody learns who flagged."""

import pytest
from django.core import mail
from django.urls import reverse

from channels import services as channel_services
from moderation import notifications, services, tasks
from moderation.models import AuditEntry, QueueItem
from tests.test_moderation_support import *  # noqa: F403
from tests.test_moderation_support import act, flag_as, flaggers, html, mails_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(thread_a, other_citizen):
    return channel_services.do_reply(actor=other_citizen, thread=thread_a, body="通報される投稿です。")


def test_authors_never_learn_who_flagged(client, post, other_citizen, mod, django_capture_on_commit_callbacks):
    people = flaggers(3)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for user in people:
            flag_as(user, post, reason="harassment", note="ひどいと思いました")
        act(mod, post, "remove", reason="嫌がらせにあたるため削除しました")
    messages = mails_to(other_citizen)
    # The automatic hide's notice ran after the removal, saw it superseded and stayed silent.
    (message,) = messages
    assert "嫌がらせにあたるため削除しました" in message.body
    # What the author can reach: their e-mails, the thread page, the flag page of their own post.
    client.force_login(other_citizen)
    pages = [m.subject + m.body for m in messages]
    pages.append(html(client.get(reverse("channels:thread", args=[post.thread.channel.slug, post.thread_id]))))
    pages.append(html(client.get(reverse("moderation:flag", args=[post.pk]), follow=True)))
    pages.append(html(client.get(reverse("moderation:transparency"))))
    for text in pages:
        for user in people:
            assert user.pen_name not in text and user.real_name not in text and user.email not in text
        assert "ひどいと思いました" not in text  # a flag's note could identify its writer


def test_moderators_never_see_flaggers(client, post, mod):
    people = flaggers(2)
    for user in people:
        flag_as(user, post, reason="spam")
    client.force_login(mod)
    pages = [
        html(client.get(reverse("moderation:queue"))),
        html(client.get(reverse("moderation:item", args=[post.pk]))),
        html(client.get(reverse("moderation:log"))),
    ]
    for text in pages:
        for user in people:
            assert user.pen_name not in text and user.email not in text


def test_personal_data_alerts_moderators_at_once_others_wait_for_the_digest(
    post, mod, channel_moderator, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        flag_as(flaggers(1)[0], post)
    assert mails_to(mod) == [] and mails_to(channel_moderator) == []
    assert tasks.send_moderator_digest.apply().get() == 2
    (digest,) = mails_to(mod)
    assert "確認待ちの投稿が1件あります" in digest.subject
    assert reverse("moderation:item", args=[post.pk]) in digest.body
    assert len(mails_to(channel_moderator)) == 1
    # nothing new: no second digest
    mail.outbox.clear()
    assert tasks.send_moderator_digest.apply().get() == 0


def test_digest_skips_items_already_decided(post, mod):
    flag_as(flaggers(1)[0], post)
    act(mod, post, "dismiss", reason="問題ありません")
    mail.outbox.clear()
    assert notifications.send_moderator_digest() == 0


def test_author_notice_rechecks_state_when_it_runs(post, other_citizen, mod):
    act(mod, post, "hide", reason="確認中のため非表示にします")
    hide_entry = AuditEntry.objects.get(action="hide")
    act(mod, post, "restore", reason="問題ありませんでした")
    mail.outbox.clear()
    # The hide notice was queued but runs only now: the post is back, so nothing is sent.
    assert notifications.notify_author_of_decision(hide_entry.pk) is False
    assert mails_to(other_citizen) == []
    restore_entry = AuditEntry.objects.get(action="restore")
    assert notifications.notify_author_of_decision(restore_entry.pk) is True
    assert "問題ありませんでした" in mails_to(other_citizen)[0].body


def test_escalation_notice_skipped_once_answered(post, mod, staff):
    act(mod, post, "escalate", reason="確認をお願いします")
    escalation = QueueItem.objects.get(post=post).escalations.get()
    services.do_answer_escalation(actor=staff, escalation=escalation, answer="問題ありません")
    mail.outbox.clear()
    assert notifications.notify_department_of_escalation(escalation.pk) == 0


def test_suspension_notice_tells_until_when(post, other_citizen, mod, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        act(mod, post, "suspend", reason="度重なる違反のため", days=3)
    (message,) = mails_to(other_citizen)
    assert "度重なる違反のため" in message.body and "まで投稿と通報ができません" in message.body


def test_tier_a_moderator_mail_never_names_the_author(post, other_citizen, mod, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        flag_as(flaggers(1)[0], post)
    notifications.send_moderator_digest()
    for message in mails_to(mod):
        assert other_citizen.real_name not in message.body and other_citizen.email not in message.body


def test_moderation_tasks_are_registered_with_celery():
    from celery import current_app

    for name in (
        "moderation.notify_moderators_of_item",
        "moderation.send_moderator_digest",
        "moderation.notify_author_of_decision",
        "moderation.notify_department_of_escalation",
        "moderation.notify_moderator_of_answer",
    ):
        assert name in current_app.tasks
    from django.conf import settings

    assert settings.CELERY_BEAT_SCHEDULE["moderation-digest"]["task"] == "moderation.send_moderator_digest"
