"""Shared fixtures for tests/test_moderation_*.py (import with `from tests.test_moderation_support import *`)."""

import itertools

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.urls import reverse
from guardian.shortcuts import assign_perm

from channels import services as channel_services
from channels.models import Channel
from tests.conftest import make_user

__all__ = [
    "act",
    "channel_moderator",
    "flag_as",
    "flaggers",
    "html",
    "moderation_settings",
    "mod",
    "other_citizen",
    "reader",
    "thread_a",
    "thread_url",
    "mails_to",
]

_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def moderation_settings(settings):
    """Defaults of the issue, except new-account pre-moderation, which tests turn on when they test it."""
    settings.MODERATION_FLAG_THRESHOLD = 3
    settings.MODERATION_NEW_ACCOUNT_POSTS = 0
    settings.CELERY_TASK_ALWAYS_EAGER = True
    return settings


@pytest.fixture
def mod(city):
    """A global moderator through the group 「モデレーター」 (as load_demo sets it up)."""
    user = make_user("mori.mod@example.jp", real_name="森 由紀", pen_name="見守り係", verified=True)
    group, _ = Group.objects.get_or_create(name="モデレーター")
    group.permissions.add(Permission.objects.get(codename="moderate_channel"))
    user.groups.add(group)
    return user


@pytest.fixture
def channel_moderator(channel_a):
    """Moderates channel_a only (guardian object permission)."""
    user = make_user("ch.mod@example.jp", real_name="板橋 直", pen_name="チャンネル係", verified=True)
    assign_perm("channels.moderate_channel", user, channel_a)
    return user


@pytest.fixture
def reader(city):
    return make_user("reader@example.jp", real_name="読者 花子", pen_name="よみびと")


@pytest.fixture
def other_citizen(city):
    return make_user("other.citizen@example.jp", real_name="別府 太郎", pen_name="別の風")


def flaggers(n: int):
    return [
        make_user(f"flagger{next(_counter)}@example.jp", real_name=f"通報者本名{i}", pen_name=f"通報者{next(_counter)}")
        for i in range(n)
    ]


@pytest.fixture
def thread_a(citizen, channel_a):
    return channel_services.do_create_thread(
        actor=citizen, channel=channel_a, title="駅前に木陰を", body="最初の投稿です。", kind="intermediate"
    )


def thread_url(thread) -> str:
    return reverse("channels:thread", args=[thread.channel.slug, thread.pk])


def html(response) -> str:
    return response.content.decode()


def flag_as(user, post, reason="spam", **extra):
    from moderation import services

    return services.do_flag(actor=user, post=post, reason=reason, **extra)


def act(moderator, post, action, reason="ガイドラインに照らして判断しました。", **extra):
    from moderation import services
    from moderation.models import QueueItem

    item = QueueItem.objects.filter(post=post).first()
    version = extra.pop("expected_version", item.version if item else 0)
    return services.do_decide(
        actor=moderator, post=post, action=action, reason=reason, expected_version=version, **extra
    )


def mails_to(user) -> list:
    return [m for m in mail.outbox if user.email in m.to]


def channel(slug: str) -> Channel:
    return Channel.objects.get(slug=slug)
