"""Actions that change the Web Common Space. Views and tasks call these; each
runs in a transaction and takes the acting user (Zulip's do_* style).

C1 (threads and posts): do_create_thread, do_reply, do_edit_post,
do_delete_own_post, do_change_phase, do_update_channel_settings,
recount_thread, do_grant_membership. Views check permissions (channels.permissions)
before calling; services keep the data's invariants.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from . import hooks, permissions
from .markdown import render_markdown
from .models import Channel, Citation, Membership, PhaseChange, Post, PostRevision, Thread, Visibility


def _notify(post: Post) -> None:
    """Followers hear of a readable new post (C2's queue_post_notifications, when present)."""
    notify = globals().get("queue_post_notifications")
    if notify is not None and post.is_readable:
        notify(post)


def _post_for_token(actor, idempotency_key: str) -> Post | None:
    if not idempotency_key:
        return None
    return Post.objects.select_related("thread").filter(author=actor, idempotency_key=idempotency_key).first()


def _new_post(*, actor, thread: Thread, body: str, quoted: Post | None, hold_text: str, idempotency_key: str) -> Post:
    hold = hooks.first_hold(actor, thread.channel, hold_text)
    post = Post.objects.create(
        thread=thread,
        author=actor,
        body=body,
        body_html=render_markdown(body),
        quoted=quoted,
        author_was_staff=bool(actor.is_city_staff),
        visibility=Visibility.PENDING if hold else Visibility.PUBLISHED,
        moderation_reason=hold.message if hold else "",
        idempotency_key=idempotency_key or "",
    )
    if hold:
        for callback in hooks.after_hold:
            callback(post, hold)
    return post


@transaction.atomic
def do_create_thread(
    *,
    actor,
    channel: Channel,
    title: str,
    body: str,
    kind: str,
    phase: str = "planning",
    citation=None,
    idempotency_key: str = "",
) -> Thread:
    """A thread and its first post. The thread follows its first post's visibility (a held
    first post holds the thread). `citation` is a Wagtail Page or an archive Meeting.
    The same `idempotency_key` from the same author returns the thread already made."""
    existing = _post_for_token(actor, idempotency_key)
    if existing is not None:
        return existing.thread
    try:
        with transaction.atomic():
            now = timezone.now()
            thread = Thread.objects.create(
                channel=channel, title=title.strip(), kind=kind, phase=phase, author=actor, last_activity_at=now
            )
            post = _new_post(
                actor=actor,
                thread=thread,
                body=body,
                quoted=None,
                hold_text=f"{title}\n{body}",
                idempotency_key=idempotency_key,
            )
            if citation is not None:
                _cite(thread, citation)
            thread.visibility = post.visibility
            thread.save(update_fields=["visibility"])
            recount_thread(thread)
    except IntegrityError:
        existing = _post_for_token(actor, idempotency_key)
        if existing is None:
            raise
        return existing.thread
    _notify(post)
    return thread


def _cite(thread: Thread, target) -> Citation:
    from archive.models import Meeting

    if isinstance(target, Meeting):
        return Citation.objects.create(thread=thread, meeting=target)
    return Citation.objects.create(thread=thread, page=target)


@transaction.atomic
def do_reply(*, actor, thread: Thread, body: str, quoted: Post | None = None, idempotency_key: str = "") -> Post:
    """A reply (perhaps quoting a post of the same thread). The same `idempotency_key` from the
    same author returns the post already made instead of a second one."""
    existing = _post_for_token(actor, idempotency_key)
    if existing is not None:
        return existing
    if quoted is not None and quoted.thread_id != thread.pk:
        raise ValueError("a quoted post must belong to the same thread")
    try:
        with transaction.atomic():
            post = _new_post(
                actor=actor, thread=thread, body=body, quoted=quoted, hold_text=body, idempotency_key=idempotency_key
            )
            if post.visibility == Visibility.PUBLISHED:
                recount_thread(thread)
    except IntegrityError:
        existing = _post_for_token(actor, idempotency_key)
        if existing is None:
            raise
        return existing
    _notify(post)
    return post


@transaction.atomic
def do_edit_post(*, actor, post: Post, body: str) -> Post:
    """Keep the earlier version as a PostRevision (moderators see it), then re-render.
    An edit passes the same automatic checks as a new post: a hold makes it pending."""
    if body == post.body:
        return post
    PostRevision.objects.create(post=post, body=post.body, body_html=post.body_html, editor=actor)
    post.body = body
    post.body_html = render_markdown(body)
    post.edited_at = timezone.now()
    fields = ["body", "body_html", "edited_at"]
    hold = hooks.first_hold(actor, post.thread.channel, body)
    if hold and post.visibility == Visibility.PUBLISHED:
        post.visibility = Visibility.PENDING
        post.moderation_reason = hold.message
        fields += ["visibility", "moderation_reason"]
    post.save(update_fields=fields)
    if hold and "visibility" in fields:
        for callback in hooks.after_hold:
            callback(post, hold)
        recount_thread(post.thread)
    elif not hold and post.visibility == Visibility.PENDING:
        # A held post the author fixed (M): moderation publishes it and records why.
        for callback in getattr(hooks, "after_clean_edit", ()):
            callback(post)
    return post


@transaction.atomic
def do_delete_own_post(*, actor, post: Post) -> Post:
    """Soft delete by the author: the body stays stored, the page shows a placeholder in its place."""
    if post.author_id != actor.pk:
        raise ValueError("only the author deletes their own post")
    if post.is_deleted_by_author:
        return post
    post.is_deleted_by_author = True
    post.save(update_fields=["is_deleted_by_author"])
    recount_thread(post.thread)
    return post


@transaction.atomic
def do_change_phase(*, actor, thread: Thread, phase: str) -> Thread:
    """Move the thread to `phase` (forward or back); every move is a PhaseChange row."""
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    if phase == thread.phase:
        return thread
    PhaseChange.objects.create(thread=thread, from_phase=thread.phase, to_phase=phase, actor=actor)
    thread.phase = phase
    thread.save(update_fields=["phase"])
    return thread


@transaction.atomic
def do_update_channel_settings(*, actor, channel: Channel, posting_policy: str, members_only: bool) -> Channel:
    """Reading (A channels only: B and C are always members-only) and posting policy."""
    fields = []
    if channel.tier_id == "A" and channel.members_only != members_only:
        channel.members_only = members_only
        fields.append("members_only")
    if channel.posting_policy != posting_policy:
        channel.posting_policy = posting_policy
        fields.append("posting_policy")
    if fields:
        channel.save(update_fields=fields)
    return channel


@transaction.atomic
def recount_thread(thread: Thread) -> Thread:
    """Counts and the "last post" line from readable posts only (published, not deleted by the
    author). Call after any visibility change; moderation does. Saves with update_fields so
    post_save fires for listeners (search)."""
    locked = Thread.objects.select_for_update().only("pk", "created_at").get(pk=thread.pk)
    readable = Post.objects.filter(thread_id=thread.pk, visibility=Visibility.PUBLISHED, is_deleted_by_author=False)
    count = readable.count()
    last = readable.order_by("-created_at", "-id").only("pk", "created_at").first()
    thread.visible_post_count = count
    thread.last_post = last
    thread.last_activity_at = last.created_at if last else locked.created_at
    thread.save(update_fields=["visible_post_count", "last_post", "last_activity_at"])
    return thread


@transaction.atomic
def do_grant_membership(*, actor, channel: Channel, user) -> Membership:
    """Make `user` an active member: the Membership row plus the guardian object permissions."""
    membership, _ = Membership.objects.update_or_create(
        channel=channel, user=user, defaults={"state": Membership.State.ACTIVE}
    )
    assign_perm(permissions.VIEW_PRIVATE, user, channel)
    assign_perm(permissions.POST_IN, user, channel)
    permissions.forget(user)
    return membership


# --- moderation actions (M)
# State changes the moderation app makes to posts and threads. moderation acts on
# channels only through these; the audit row is written by moderation.services in
# the same transaction.
def _first_post_id(thread: Thread) -> int | None:
    return Post.objects.filter(thread=thread).order_by("created_at", "id").values_list("pk", flat=True).first()


@transaction.atomic
def do_set_post_visibility(*, actor, post: Post, visibility: str, reason: str = "") -> Post:
    """Publish, hold, hide or remove a post (never deletes it). The thread follows its first post.
    Posts approved out of `pending` notify followers now, as a new post would have."""
    previous = post.visibility
    post.visibility = visibility
    post.moderation_reason = "" if visibility == Visibility.PUBLISHED else reason
    post.save(update_fields=["visibility", "moderation_reason"])
    thread = Thread.objects.select_for_update().get(pk=post.thread_id)
    if _first_post_id(thread) == post.pk and thread.visibility != visibility:
        thread.visibility = visibility
        thread.save(update_fields=["visibility"])
    recount_thread(thread)
    post.thread = thread
    if previous == Visibility.PENDING and visibility == Visibility.PUBLISHED:
        _notify(post)
    return post


@transaction.atomic
def do_redact_post(*, actor, post: Post, new_body: str) -> dict:
    """Replace the body with a moderator's redacted text. The earlier text and every
    earlier revision are returned (for the moderation audit log, the only place they
    are kept) and removed from PostRevision, so the redacted text survives nowhere else."""
    revisions = list(PostRevision.objects.filter(post=post).order_by("created_at", "id").values_list("body", flat=True))
    original = {"body": post.body, "revisions": revisions}
    PostRevision.objects.filter(post=post).delete()
    post.body = new_body
    post.body_html = render_markdown(new_body)
    post.save(update_fields=["body", "body_html"])
    return original


@transaction.atomic
def do_lock_thread(*, actor, thread: Thread, locked: bool = True) -> Thread:
    thread.is_locked = locked
    thread.save(update_fields=["is_locked"])
    return thread


@transaction.atomic
def do_move_thread(*, actor, thread: Thread, channel: Channel) -> Thread:
    """Move a thread to another channel of the same tier (a move across tiers would change
    how its authors are shown: pen names in A, real names in B and C)."""
    if channel.tier_id != thread.channel.tier_id:
        raise ValueError("a thread moves only within its tier")
    thread.channel = channel
    thread.save(update_fields=["channel"])
    return thread
