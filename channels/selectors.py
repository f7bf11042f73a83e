"""Queries the channel pages need, with their joins (no N+1)."""

from django.db.models import Prefetch

from .models import Channel, Post, Thread, Tier, Visibility
from .permissions import visible_channels


def lab_channels(user) -> dict[str, list[Channel]]:
    channels = (
        visible_channels(user)
        .select_related("tier", "linked_channel")
        .prefetch_related("departments")
        .order_by("tier_id", "number", "id")
    )
    grouped: dict[str, list[Channel]] = {Tier.A: [], Tier.B: [], Tier.C: []}
    for ch in channels:
        grouped[ch.tier_id].append(ch)
    return grouped


def channel_threads(channel: Channel):
    return (
        Thread.objects.filter(channel=channel, visibility=Visibility.PUBLISHED)
        .select_related("author", "author__department", "last_post__author")
        .order_by("-last_activity_at", "-id")
    )


def thread_posts(thread: Thread):
    return (
        Post.objects.filter(thread=thread)
        .select_related("author", "author__department")
        .prefetch_related(Prefetch("quoted", queryset=Post.objects.select_related("author")))
        .order_by("created_at", "id")
    )
