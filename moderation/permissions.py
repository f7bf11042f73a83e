"""Moderation rules, built from the predicates in channels.permissions (the one policy module).

Global moderators (the global permission channels.moderate_channel, e.g. the group
「モデレーター」) see everything; a channel moderator (the guardian object permission on
a Channel) sees only that channel. Everyone else gets 404 at /moderation/.
"""

from channels.models import Channel
from channels.permissions import (
    can_view_channel,
    channel_ids_held,
    is_channel_moderator,
    is_city_staff,
    is_global_moderator,
    is_signed_in,
    is_suspended,
)

VIEW_IDENTITY = "accounts.view_identity"

__all__ = ["is_channel_moderator", "is_global_moderator"]


def moderated_channel_ids(user) -> list[int] | None:
    """Channels `user` moderates: None means all (global moderator), [] none."""
    if not is_signed_in(user):
        return []
    if is_global_moderator(user):  # superusers included
        return None
    # From the permission rows read once per request (channels.permissions._permissions).
    return channel_ids_held(user, "moderate_channel") or []


def can_use_queue(user) -> bool:
    ids = moderated_channel_ids(user)
    return ids is None or bool(ids)


def can_moderate_channel(user, channel: Channel) -> bool:
    if not is_signed_in(user):
        return False
    ids = moderated_channel_ids(user)
    return ids is None or channel.pk in ids


def can_moderate_post(user, post) -> bool:
    return can_moderate_channel(user, post.thread.channel)


def can_flag_post(user, post) -> bool:
    """Signed-in users who may see the channel, not suspended, never their own post."""
    return (
        is_signed_in(user)
        and not is_suspended(user)
        and post.author_id != user.pk
        and can_view_channel(user, post.thread.channel)
    )


def can_withdraw_flag(user, flag) -> bool:
    return is_signed_in(user) and flag.flagger_id == user.pk and flag.state == "open"


def can_view_identity(user, post) -> bool:
    """Who is behind a pen name: a moderator of the post's channel with accounts.view_identity."""
    return can_moderate_post(user, post) and user.has_perm(VIEW_IDENTITY)


def can_manage_ng_words(user) -> bool:
    return is_global_moderator(user)


def can_act_on_user(user, target) -> bool:
    """Warn: any moderator of the item's channel; never oneself."""
    return is_signed_in(user) and target is not None and target.pk != user.pk


def can_suspend_user(user, target) -> bool:
    """A suspension reaches the whole site, so only global moderators suspend; never another moderator."""
    return can_act_on_user(user, target) and is_global_moderator(user) and not is_global_moderator(target)


def can_move_thread(user, thread, channel: Channel) -> bool:
    return (
        can_moderate_channel(user, thread.channel)
        and can_moderate_channel(user, channel)
        and channel.tier_id == thread.channel.tier_id
        and channel.pk != thread.channel_id
    )


def can_view_audit_log(user) -> bool:
    return can_use_queue(user)


def can_export_audit_log(user) -> bool:
    return can_use_queue(user)


def can_view_escalations(user) -> bool:
    """The escalation list: staff of a department (their department's list) and global moderators."""
    return is_global_moderator(user) or (is_city_staff(user) and user.department_id is not None)


def can_view_escalation(user, escalation) -> bool:
    return is_global_moderator(user) or (is_city_staff(user) and user.department_id == escalation.department_id)


def can_answer_escalation(user, escalation) -> bool:
    return (
        is_city_staff(user)
        and user.department_id == escalation.department_id
        and escalation.state == "open"
        and not is_suspended(user)
    )
