"""Actions that change the Web Common Space. Views and tasks call these; each
runs in a transaction and takes the acting user (Zulip's do_* style).

C1 (threads and posts): do_create_thread, do_reply, do_edit_post,
do_delete_own_post, do_change_phase, do_update_channel_settings,
recount_thread, do_grant_membership. Views check permissions (channels.permissions)
before calling; services keep the data's invariants.
"""

from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, Case, F, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone
from guardian.shortcuts import assign_perm

from . import hooks, permissions
from .markdown import render_markdown
from .models import Channel, Citation, Membership, PhaseChange, Post, PostRevision, Thread, Visibility


def _notify(post: Post) -> None:
    """Followers hear of a readable new post (queue_post_notifications, below)."""
    if post.is_readable:
        queue_post_notifications(post)


def _attach(actor, post: Post, files) -> None:
    """Checked files (channels.attachments) on a new post, in its transaction (do_attach, below)."""
    if files:
        do_attach(actor=actor, post=post, files=files)


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
    attachments=(),
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
            _attach(actor, post, attachments)
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
def do_reply(
    *, actor, thread: Thread, body: str, quoted: Post | None = None, idempotency_key: str = "", attachments=()
) -> Post:
    """A reply (perhaps quoting a post of the same thread). The same `idempotency_key` from the
    same author returns the post already made instead of a second one (the unique constraint
    finds it: no extra query on the usual path)."""
    if quoted is not None and quoted.thread_id != thread.pk:
        raise ValueError("a quoted post must belong to the same thread")
    try:
        with transaction.atomic():
            post = _new_post(
                actor=actor, thread=thread, body=body, quoted=quoted, hold_text=body, idempotency_key=idempotency_key
            )
            _attach(actor, post, attachments)
    except IntegrityError:
        existing = _post_for_token(actor, idempotency_key)
        if existing is None:
            raise
        return existing
    _notify(post)
    if post.visibility == Visibility.PUBLISHED:
        _count_new_reply(thread, post)  # last: the thread row stays locked only until commit
    return post


def _count_new_reply(thread: Thread, post: Post) -> None:
    """A new readable reply, counted in one UPDATE (no count over the thread's posts). On a busy
    thread many replies arrive at once; each holds the thread row from this statement to its
    commit, so the statement comes last. The newest post wins "last post" whatever the commit
    order. Under READ COMMITTED this and recount_thread() serialise on the row lock, and each sees
    the other's committed result, so the count stays exact."""
    Thread.objects.filter(pk=thread.pk).update(
        visible_post_count=F("visible_post_count") + 1,
        last_post=Case(
            When(last_activity_at__lte=post.created_at, then=Value(post.pk)),
            default=F("last_post"),
            output_field=BigIntegerField(),
        ),
        last_activity_at=Greatest("last_activity_at", Value(post.created_at)),
    )
    thread.visible_post_count += 1
    if thread.last_activity_at is None or thread.last_activity_at <= post.created_at:
        thread.last_post, thread.last_activity_at = post, post.created_at


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


# --- membership, attachments, follows (C2)
from allauth.account.models import EmailAddress  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.exceptions import PermissionDenied  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402
from guardian.shortcuts import remove_perm  # noqa: E402

from kumagaya_portal.outbox import enqueue  # noqa: E402

from .models import Attachment, Follow, PostNotification  # noqa: E402


class MembershipError(Exception):
    """A refused membership action; the message says what happened and what to do."""


def verified_emails(user) -> set[str]:
    return {e.lower() for e in EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)}


def _find_user_by_email(email: str):
    User = get_user_model()
    address = EmailAddress.objects.filter(email__iexact=email, verified=True).select_related("user").first()
    if address:
        return address.user
    return User.objects.filter(email__iexact=email).first()


def _revoke_access(channel: Channel, user) -> None:
    """Take away what membership gave, at once (same transaction as the state change)."""
    remove_perm(permissions.VIEW_PRIVATE, user, channel)
    remove_perm(permissions.POST_IN, user, channel)
    permissions.forget(user)
    if channel.workspace_id:
        channel.workspace.owners.remove(user)
    if not permissions.can_view_channel(user, channel):
        # Queued digests and follows go too; immediate e-mails already queued re-check when they run.
        Follow.objects.filter(user=user).filter(Q(channel=channel) | Q(thread__channel=channel)).delete()


def _check_join_rate(user) -> None:
    from . import ratelimit

    wait = ratelimit.hit(user, "join_request")
    if wait:
        raise MembershipError(ratelimit.message("join_request", wait))


@transaction.atomic
def do_invite(*, actor, channel: Channel, email: str) -> Membership:
    """Invite by e-mail. If the address has no account yet the invitation waits for sign-up."""
    from . import tasks

    if not permissions.can_manage_members(actor, channel):
        raise PermissionDenied
    email = email.strip().lower()
    user = _find_user_by_email(email)
    if user is not None:
        membership = Membership.objects.select_for_update(of=("self",)).filter(channel=channel, user=user).first()
        if membership and membership.state == Membership.State.ACTIVE:
            raise MembershipError(_("このメールアドレスの方は、すでにメンバーです。"))
        # An earlier e-mail-only invitation for the same address becomes this one.
        Membership.objects.filter(channel=channel, user__isnull=True, invited_email__iexact=email).delete()
        if membership is None:
            membership = Membership(channel=channel, user=user)
    else:
        membership = (
            Membership.objects.select_for_update(of=("self",))
            .filter(channel=channel, user__isnull=True, invited_email__iexact=email)
            .first()
        ) or Membership(channel=channel)
    membership.invited_email = email
    membership.state = Membership.State.INVITED
    membership.role = Membership.Role.MEMBER
    membership.save()
    enqueue(tasks.send_invitation, membership_id=membership.pk, inviter_id=actor.pk)
    return membership


def invitation_matches(membership: Membership, user) -> bool:
    """The invitation is for `user`: made for this account, or for one of its verified addresses."""
    if not permissions.is_signed_in(user) or membership.state != Membership.State.INVITED:
        return False
    if membership.user_id is not None:
        return membership.user_id == user.pk
    return membership.invited_email.lower() in verified_emails(user)


@transaction.atomic
def do_accept_invitation(*, actor, membership: Membership) -> Membership:
    membership = Membership.objects.select_for_update(of=("self",)).select_related("channel").get(pk=membership.pk)
    if not invitation_matches(membership, actor):
        raise MembershipError(
            _("この招待は別のメールアドレスの方へのものです。招待メールを受け取ったアドレスでログインしてください。")
        )
    existing = Membership.objects.filter(channel=membership.channel, user=actor).exclude(pk=membership.pk).first()
    if existing is not None:
        membership.delete()
        membership = existing
    return do_grant_membership(actor=actor, channel=membership.channel, user=actor)


@transaction.atomic
def do_decline_invitation(*, actor, membership: Membership) -> None:
    membership = Membership.objects.select_for_update(of=("self",)).get(pk=membership.pk)
    if not invitation_matches(membership, actor):
        raise MembershipError(
            _("この招待は別のメールアドレスの方へのものです。招待メールを受け取ったアドレスでログインしてください。")
        )
    membership.delete()


@transaction.atomic
def do_cancel_invitation(*, actor, membership: Membership) -> None:
    if not permissions.can_manage_members(actor, membership.channel):
        raise PermissionDenied
    Membership.objects.filter(pk=membership.pk, state=Membership.State.INVITED).delete()


@transaction.atomic
def do_claim_invitations(*, actor) -> list[Membership]:
    """After sign-up or login: e-mail-only invitations to the user's verified addresses become theirs."""
    emails = verified_emails(actor)
    if not emails:
        return []
    claimed = []
    pending = Membership.objects.select_for_update(of=("self",)).filter(
        user__isnull=True, state=Membership.State.INVITED
    )
    for membership in pending.filter(invited_email__in=emails).select_related("channel"):
        if Membership.objects.filter(channel=membership.channel, user=actor).exists():
            existing = Membership.objects.get(channel=membership.channel, user=actor)
            if existing.state != Membership.State.ACTIVE:
                existing.state = Membership.State.INVITED
                existing.invited_email = membership.invited_email
                existing.save(update_fields=["state", "invited_email", "updated_at"])
                claimed.append(existing)
            membership.delete()
            continue
        membership.user = actor
        membership.save(update_fields=["user", "updated_at"])
        claimed.append(membership)
    return claimed


@transaction.atomic
def do_request_join(*, actor, channel: Channel) -> Membership:
    from . import tasks

    if not permissions.can_request_to_join(actor, channel):
        raise PermissionDenied
    membership = Membership.objects.select_for_update(of=("self",)).filter(channel=channel, user=actor).first()
    if membership and membership.state == Membership.State.REQUESTED:
        return membership
    if membership and membership.state == Membership.State.INVITED:
        return do_accept_invitation(actor=actor, membership=membership)
    _check_join_rate(actor)
    if membership is None:
        membership = Membership(channel=channel, user=actor, invited_email="")
    membership.state = Membership.State.REQUESTED
    membership.role = Membership.Role.MEMBER
    membership.save()
    enqueue(tasks.send_membership_news, membership_id=membership.pk, event="requested")
    return membership


@transaction.atomic
def do_approve_join(*, actor, membership: Membership) -> Membership:
    from . import tasks

    membership = (
        Membership.objects.select_for_update(of=("self",)).select_related("channel", "user").get(pk=membership.pk)
    )
    if not permissions.can_manage_members(actor, membership.channel):
        raise PermissionDenied
    if membership.state != Membership.State.REQUESTED:
        raise MembershipError(_("この参加申請はすでに処理されています。一覧を確認してください。"))
    membership = do_grant_membership(actor=actor, channel=membership.channel, user=membership.user)
    enqueue(tasks.send_membership_news, membership_id=membership.pk, event="approved")
    return membership


@transaction.atomic
def do_decline_join(*, actor, membership: Membership) -> Membership:
    membership = Membership.objects.select_for_update(of=("self",)).select_related("channel").get(pk=membership.pk)
    if not permissions.can_manage_members(actor, membership.channel):
        raise PermissionDenied
    if membership.state != Membership.State.REQUESTED:
        raise MembershipError(_("この参加申請はすでに処理されています。一覧を確認してください。"))
    membership.state = Membership.State.DECLINED
    membership.save(update_fields=["state", "updated_at"])
    return membership


@transaction.atomic
def do_leave(*, actor, channel: Channel) -> None:
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .filter(channel=channel, user=actor, state=Membership.State.ACTIVE)
        .first()
    )
    if membership is None:
        raise MembershipError(_("このチャンネルのメンバーではありません。"))
    membership.state = Membership.State.LEFT
    membership.role = Membership.Role.MEMBER
    membership.save(update_fields=["state", "role", "updated_at"])
    _revoke_access(channel, actor)


@transaction.atomic
def do_remove_member(*, actor, membership: Membership) -> Membership:
    """Removal takes effect at once: perms, pages, files and notifications (tasks re-check)."""
    membership = (
        Membership.objects.select_for_update(of=("self",)).select_related("channel", "user").get(pk=membership.pk)
    )
    channel = membership.channel
    if not permissions.can_manage_members(actor, channel):
        raise PermissionDenied
    if membership.user_id == actor.pk:
        raise MembershipError(
            _("ご自身を除名することはできません。退出する場合は「このチャンネルから退出する」を使ってください。")
        )
    if membership.state != Membership.State.ACTIVE:
        raise MembershipError(_("この方は現在メンバーではありません。一覧を確認してください。"))
    membership.state = Membership.State.REMOVED
    membership.role = Membership.Role.MEMBER
    membership.save(update_fields=["state", "role", "updated_at"])
    _revoke_access(channel, membership.user)
    return membership


# Attachments ---------------------------------------------------------------
@transaction.atomic
def do_attach(*, actor, post: Post, files) -> list[Attachment]:
    """Store checked files (channels.attachments.AttachmentsField) on `post`, by its author."""
    if not files:
        return []
    if actor is None or post.author_id != actor.pk:
        raise PermissionDenied
    saved = []
    for checked in files:
        attachment = Attachment(
            post=post,
            original_name=checked.name,
            content_type=checked.content_type,
            kind=checked.kind,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=actor,
        )
        attachment.file.save("upload", checked.upload, save=False)
        attachment.save()
        saved.append(attachment)
    return saved


def save_attachments(post: Post, files, actor) -> list[Attachment]:
    return do_attach(actor=actor, post=post, files=files)


# Follows and notifications ---------------------------------------------------
@transaction.atomic
def do_follow(*, actor, channel: Channel | None = None, thread: Thread | None = None, delivery: str = "") -> Follow:
    delivery = delivery or Follow.Delivery.IMMEDIATE
    if delivery not in Follow.Delivery.values:
        raise MembershipError(_("通知の受け取り方を選んでください。"))
    if thread is not None:
        if not permissions.can_follow_thread(actor, thread):
            raise PermissionDenied
        follow, _created = Follow.objects.update_or_create(user=actor, thread=thread, defaults={"delivery": delivery})
    elif channel is not None:
        if not permissions.can_follow_channel(actor, channel):
            raise PermissionDenied
        follow, _created = Follow.objects.update_or_create(user=actor, channel=channel, defaults={"delivery": delivery})
    else:
        raise ValueError("channel or thread is required")
    return follow


@transaction.atomic
def do_unfollow(*, actor, channel: Channel | None = None, thread: Thread | None = None, follow: Follow | None = None):
    """Stop a follow (by the user, or by an unsubscribe link: then `actor` is the follow's user)."""
    qs = Follow.objects.filter(user=actor)
    if follow is not None:
        qs = qs.filter(pk=follow.pk)
    elif thread is not None:
        qs = qs.filter(thread=thread)
    elif channel is not None:
        qs = qs.filter(channel=channel)
    else:
        raise ValueError("follow, channel or thread is required")
    return qs.delete()[0] > 0


@transaction.atomic
def do_stop_digests(*, actor) -> int:
    """The digest's unsubscribe link: every follow delivered as a daily digest stops."""
    return Follow.objects.filter(user=actor, delivery=Follow.Delivery.DAILY).delete()[1].get("channels.Follow", 0)


def queue_post_notifications(post: Post) -> None:
    """Call inside the transaction that makes `post` visible (new post, or approved by a moderator).

    One task per event, handed to Celery on commit through the outbox; the task checks
    again, when it runs, that the post is still readable and each follower may see it."""
    from . import tasks

    if post.is_readable:
        enqueue(tasks.notify_new_post, post_id=post.pk)


@transaction.atomic
def do_queue_daily_digests() -> int:
    """Beat task: one digest task per user with waiting posts."""
    from . import tasks

    user_ids = list(
        PostNotification.objects.filter(delivery=Follow.Delivery.DAILY, sent_at__isnull=True)
        .values_list("user_id", flat=True)
        .distinct()
    )
    for user_id in user_ids:
        enqueue(tasks.send_digest, user_id=user_id)
    return len(user_ids)


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
