"""Shared fixtures and helpers for tests/test_channels_*.py (import with `from tests.test_channels_support import *`).

Roles of the permission matrix, a small world of threads in tiers A, B and C,
and an HTML scanner for user content.
"""

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.utils import timezone

from channels.models import Channel, Membership
from channels.services import do_create_thread, do_grant_membership, do_reply
from kumagaya_portal.accounts.models import Department
from tests.conftest import make_user

__all__ = [
    "ROLES",
    "World",
    "clear_cache",
    "collect_markup",
    "make_role",
    "remove_member",
    "world",
]

OTHER_B = "planning-smart-cool-city"
OTHER_C = "ws-community-points-council"
A_SLUG = "downtown-vision-editors"
B_SLUG = "planning-downtown-vision-editors"
C_SLUG = "ws-downtown-regeneration-platform"

ROLES = [
    "anonymous",
    "citizen_without_pen_name",
    "citizen",
    "member_b",
    "member_other_b",
    "member_c",
    "member_other_c",
    "staff",
    "staff_of_department",
    "moderator",
    "suspended",
    "removed_member",
]


@pytest.fixture(autouse=True)
def clear_cache(settings):
    """Rate-limit counters live in the cache; user ids repeat across rolled-back tests.
    New-account pre-moderation (moderation's hold) is off here: these tests are about channels;
    test_held_first_post_holds_the_thread covers a hold."""
    settings.MODERATION_NEW_ACCOUNT_POSTS = 0
    cache.clear()
    yield
    cache.clear()


def remove_member(channel: Channel, user, *, by=None):
    """Remove through channels.services (C2's do_remove_member): Membership state removed, guardian perms gone."""
    from channels import services

    actor = by or make_user(f"remover-{channel.pk}-{user.pk}@example.jp", real_name="除名 担当", staff=True)
    membership = Membership.objects.get(channel=channel, user=user)
    return services.do_remove_member(actor=actor, membership=membership)


def make_role(role: str, n: int = 0):
    """A fresh user in `role` (None for anonymous). Every role has accepted the guidelines."""
    b = Channel.objects.get(slug=B_SLUG)
    c = Channel.objects.get(slug=C_SLUG)
    suffix = f"{role}{n}".replace("_", "-")
    if role == "anonymous":
        return None
    if role == "citizen_without_pen_name":
        return make_user(f"{suffix}@example.jp", real_name="新田 はじめ")
    if role == "citizen":
        return make_user(f"{suffix}@example.jp", real_name="市民 一郎", pen_name=f"市民{n}号")
    if role in ("member_b", "member_other_b", "member_c", "member_other_c", "suspended", "removed_member"):
        user = make_user(
            f"{suffix}@example.jp",
            real_name=f"関係 {role}",
            organisation="まちづくり協議会",
            pen_name=f"ペン{role}{n}",
            verified=True,
        )
        channels = {
            "member_b": [b],
            "member_other_b": [Channel.objects.get(slug=OTHER_B)],
            "member_c": [c],
            "member_other_c": [Channel.objects.get(slug=OTHER_C)],
            "suspended": [b, c],
            "removed_member": [b, c],
        }[role]
        for ch in channels:
            do_grant_membership(actor=None, channel=ch, user=user)
        if role == "suspended":
            user.suspended_until = timezone.now() + dt.timedelta(days=7)
            user.save(update_fields=["suspended_until"])
        if role == "removed_member":
            for ch in channels:
                remove_member(ch, user)
        return user
    if role == "staff":
        return make_user(f"{suffix}@example.jp", real_name="高城 誠", staff=True)
    if role == "staff_of_department":
        user = make_user(f"{suffix}@example.jp", real_name="商業 観光", staff=True, pen_name=f"商業観光課{n}")
        user.department = Department.objects.get(slug="commerce-tourism")
        user.save(update_fields=["department"])
        return user
    if role == "moderator":
        user = make_user(f"{suffix}@example.jp", real_name="森 由紀", verified=True)
        user.user_permissions.add(Permission.objects.get(codename="moderate_channel"))
        return user
    raise ValueError(role)


class World:
    """A thread in each tier, each with an opening post and a reply, by that tier's author."""

    def __init__(self):
        self.a = Channel.objects.get(slug=A_SLUG)
        self.b = Channel.objects.get(slug=B_SLUG)
        self.c = Channel.objects.get(slug=C_SLUG)
        self.author_a = make_user("author-a@example.jp", real_name="著者 エー", pen_name="まちの声")
        self.author_b = make_user(
            "author-b@example.jp", real_name="著者 ビー", organisation="株式会社ビー", verified=True
        )
        self.author_c = make_user(
            "author-c@example.jp", real_name="著者 シー", organisation="一般社団法人シー", verified=True
        )
        do_grant_membership(actor=None, channel=self.b, user=self.author_b)
        do_grant_membership(actor=None, channel=self.c, user=self.author_c)
        self.threads = {}
        self.posts = {}
        for tier, channel, author in (
            ("A", self.a, self.author_a),
            ("B", self.b, self.author_b),
            ("C", self.c, self.author_c),
        ):
            thread = do_create_thread(
                actor=author, channel=channel, title=f"{tier}のトピック", body=f"{tier}の本文", kind="public-private"
            )
            self.threads[tier] = thread
            self.posts[tier] = do_reply(actor=author, thread=thread, body=f"{tier}の返信")

    def channel(self, tier):
        return {"A": self.a, "B": self.b, "C": self.c}[tier]

    def author(self, tier):
        return {"A": self.author_a, "B": self.author_b, "C": self.author_c}[tier]


@pytest.fixture
def world(city):
    return World()


class _MarkupCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))


def collect_markup(html: str):
    parser = _MarkupCollector()
    parser.feed(html)
    parser.close()
    return parser.tags
