"""Actions that change the Web Common Space. Views and tasks call these; each
runs in a transaction and takes the acting user (Zulip's do_* style)."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from guardian.shortcuts import assign_perm

from . import hooks, permissions
from .markdown import render_markdown
from .models import Channel, Membership, Post, Thread, Visibility


@transaction.atomic
def do_create_thread(*, actor, channel: Channel, title: str, body: str, kind: str, phase: str = "planning") -> Thread:
    now = timezone.now()
    thread = Thread.objects.create(
        channel=channel, title=title.strip(), kind=kind, phase=phase, author=actor, last_activity_at=now
    )
    do_reply(actor=actor, thread=thread, body=body)
    return thread


@transaction.atomic
def do_reply(*, actor, thread: Thread, body: str, quoted: Post | None = None) -> Post:
    hold = hooks.first_hold(actor, thread.channel, body)
    post = Post.objects.create(
        thread=thread,
        author=actor,
        body=body,
        body_html=render_markdown(body),
        quoted=quoted,
        author_was_staff=actor.is_city_staff,
        visibility=Visibility.PENDING if hold else Visibility.PUBLISHED,
        moderation_reason=hold.message if hold else "",
    )
    if hold:
        for callback in hooks.after_hold:
            callback(post, hold)
    if post.visibility == Visibility.PUBLISHED:
        Thread.objects.filter(pk=thread.pk).update(
            visible_post_count=F("visible_post_count") + 1, last_activity_at=post.created_at, last_post=post
        )
    return post


@transaction.atomic
def do_grant_membership(*, actor, channel: Channel, user) -> Membership:
    """Make `user` an active member: the Membership row plus the guardian object permissions."""
    membership, _ = Membership.objects.update_or_create(
        channel=channel, user=user, defaults={"state": Membership.State.ACTIVE}
    )
    assign_perm(permissions.VIEW_PRIVATE, user, channel)
    assign_perm(permissions.POST_IN, user, channel)
    return membership
