"""Moderation actions. Each is one transaction, takes the acting user, writes one audit
row, and queues its notices through the outbox. Posts and threads change only through
channels.services (the "moderation actions (M)" section there)."""

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from channels import services as channel_services
from channels.models import Channel, Post, Visibility
from kumagaya_portal.accounts.models import Department
from kumagaya_portal.outbox import enqueue

from . import permissions
from .detectors import ng_key
from .models import (
    AuditAction,
    AuditEntry,
    Escalation,
    Flag,
    FlagReason,
    HoldCode,
    NGWord,
    QueueItem,
)


class ModerationError(ValueError):
    """A refused action; the message is for the user (what happened, what to do)."""


class AlreadyFlagged(ModerationError):
    pass


class AlreadyDecided(ModerationError):
    pass


class NotAllowed(ModerationError):
    """The actor may not do this; views answer 404."""


POST_DECISIONS = {
    AuditAction.DISMISS,
    AuditAction.HIDE,
    AuditAction.REMOVE,
    AuditAction.RESTORE,
    AuditAction.REDACT,
}
THREAD_ACTIONS = {AuditAction.LOCK, AuditAction.UNLOCK, AuditAction.MOVE}
USER_ACTIONS = {AuditAction.WARN, AuditAction.SUSPEND, AuditAction.UNSUSPEND}
ACTIONS = POST_DECISIONS | THREAD_ACTIONS | USER_ACTIONS | {AuditAction.ESCALATE}
# Decisions the author is told about (with the reason; never who flagged).
AUTHOR_NOTICES = {
    AuditAction.HIDE,
    AuditAction.REMOVE,
    AuditAction.RESTORE,
    AuditAction.REDACT,
    AuditAction.WARN,
    AuditAction.SUSPEND,
    AuditAction.UNSUSPEND,
    AuditAction.AUTO_HIDE,
    AuditAction.MOVE,
    AuditAction.LOCK,
}


def _tasks():
    from . import tasks

    return tasks


def _post_state(post: Post) -> dict:
    return {"visibility": post.visibility, "moderation_reason": post.moderation_reason}


def _audit(action, *, actor=None, post: Post | None = None, reason="", category="", **refs) -> AuditEntry:
    if post is not None:
        refs.setdefault("thread_id", post.thread_id)
        refs.setdefault("channel_id", post.thread.channel_id)
        refs.setdefault("subject_user_id", post.author_id)
    return AuditEntry.objects.create(
        action=action, actor=actor, post=post, reason=reason, category=category or "", **refs
    )


def _open_item(post: Post, *, hold_code: str = "", reopen: bool = True) -> QueueItem:
    """The post's queue item, opened (or reopened after an earlier decision)."""
    now = timezone.now()
    try:
        with transaction.atomic():
            item, created = QueueItem.objects.get_or_create(
                post=post,
                defaults={"channel_id": post.thread.channel_id, "opened_at": now, "hold_code": hold_code},
            )
    except IntegrityError:  # created concurrently
        item, created = QueueItem.objects.get(post=post), False
    if created:
        return item
    fields = {}
    if item.state == QueueItem.State.DECIDED and reopen:
        fields.update(
            state=QueueItem.State.OPEN,
            opened_at=now,
            claimed_by=None,
            claimed_at=None,
            decision="",
            notified_at=None,
            priority=0,
            hold_code=hold_code,
            version=F("version") + 1,
        )
    elif hold_code:
        fields["hold_code"] = hold_code
    if fields:
        QueueItem.objects.filter(pk=item.pk).update(**fields)
        item.refresh_from_db()
    return item


def _count_open_flags(post: Post) -> int:
    # The partial unique constraint makes open flags one per user: this counts distinct users.
    return Flag.objects.filter(post=post, state=Flag.State.OPEN).count()


# ------------------------------------------------------------------- holds
def record_automatic_hold(post: Post, hold) -> QueueItem:
    """channels.hooks.after_hold: runs inside the transaction that created the pending post."""
    item = _open_item(post, hold_code=hold.code)
    _audit(
        AuditAction.AUTO_HOLD,
        post=post,
        reason=hold.message,
        category=hold.code,
        item=item,
        before={"visibility": None},
        after={"visibility": post.visibility},
    )
    if hold.code == HoldCode.PERSONAL_DATA:
        enqueue(_tasks().notify_moderators_of_item, item_id=item.pk)
    return item


def release_after_clean_edit(post: Post) -> None:
    """The author edited a held post and it passed every automatic check again: publish it.
    Runs inside the author's edit transaction (channels.hooks.after_clean_edit)."""
    before = _post_state(post)
    channel_services.do_set_post_visibility(actor=None, post=post, visibility=Visibility.PUBLISHED, reason="")
    item = QueueItem.objects.filter(post=post).first()
    if item is not None:
        QueueItem.objects.filter(pk=item.pk).update(
            state=QueueItem.State.DECIDED,
            decision=AuditAction.AUTO_RELEASE,
            decided_by=None,
            decided_at=timezone.now(),
            claimed_by=None,
            claimed_at=None,
            version=F("version") + 1,
        )
    _audit(
        AuditAction.AUTO_RELEASE,
        post=post,
        reason=_("投稿者が編集し、自動の確認を通過しました。"),
        category=item.hold_code if item is not None else "",
        item=item,
        before=before,
        after=_post_state(post),
    )


# ------------------------------------------------------------------- flags
def _validate_flag(reason: str, note: str, official_url: str) -> None:
    if reason not in FlagReason.values:
        raise ModerationError(_("通報の理由を選んでください。"))
    if reason == FlagReason.OTHER and not note.strip():
        raise ModerationError(_("「その他」を選んだ場合は、補足に理由を書いてください。"))
    if official_url and reason != FlagReason.MISINFORMATION:
        raise ModerationError(_("公式ページのURLは「誤った情報」を選んだ場合にだけ入力できます。"))
    if official_url and not official_url.startswith(("https://", "http://")):
        raise ModerationError(_("公式ページのURLは https:// から始まる形で入力してください。"))


@transaction.atomic
def do_flag(*, actor, post: Post, reason: str, note: str = "", official_url: str = "") -> Flag:
    """Flag a post. One open flag per user per post (a partial unique constraint, so two
    concurrent submits never count twice). A flag on a post that is not published is
    recorded but opens no new queue item."""
    note, official_url = (note or "").strip(), (official_url or "").strip()
    # Lock the post: flags on one post are counted one transaction at a time.
    post = Post.objects.select_for_update().select_related("thread__channel").get(pk=post.pk)
    if not permissions.can_flag_post(actor, post):
        raise NotAllowed(_("この投稿は通報できません。"))
    _validate_flag(reason, note, official_url)
    published = post.visibility == Visibility.PUBLISHED and not post.is_deleted_by_author
    try:
        with transaction.atomic():
            flag = Flag.objects.create(
                post=post,
                flagger=actor,
                reason=reason,
                note=note,
                official_url=official_url,
                on_unpublished_post=not published,
            )
    except IntegrityError:
        raise AlreadyFlagged(
            _("この投稿はすでに通報済みです。モデレーターが確認しますので、お待ちください。")
        ) from None
    if published:
        item = _open_item(post)
    else:
        item = QueueItem.objects.filter(post=post).exclude(state=QueueItem.State.DECIDED).first()
        if item is None:
            return flag
    count = _count_open_flags(post)
    QueueItem.objects.filter(pk=item.pk).update(flag_count=count)
    if published and count >= settings.MODERATION_FLAG_THRESHOLD:
        if post.author_was_staff:
            # Citizens' flags never hide a staff post automatically: to the top of the queue instead.
            QueueItem.objects.filter(pk=item.pk).update(priority=1)
        else:
            _auto_hide(post, item)
    return flag


def _auto_hide(post: Post, item: QueueItem) -> None:
    before = _post_state(post)
    reason = _("複数の利用者から通報があったため、モデレーターが確認するまで非表示にしています。")
    channel_services.do_set_post_visibility(actor=None, post=post, visibility=Visibility.HIDDEN, reason=reason)
    QueueItem.objects.filter(pk=item.pk).update(hold_code=HoldCode.FLAG_THRESHOLD, version=F("version") + 1)
    entry = _audit(
        AuditAction.AUTO_HIDE,
        post=post,
        reason=reason,
        category=HoldCode.FLAG_THRESHOLD,
        item=item,
        before=before,
        after=_post_state(post),
    )
    enqueue(_tasks().notify_author_of_decision, entry_id=entry.pk)


@transaction.atomic
def do_withdraw_flag(*, actor, flag: Flag) -> Flag:
    flag = Flag.objects.select_for_update().get(pk=flag.pk)
    if not permissions.can_withdraw_flag(actor, flag):
        raise NotAllowed(_("この通報は取り消せません。"))
    Post.objects.select_for_update().filter(pk=flag.post_id).first()
    flag.state, flag.closed_at = Flag.State.WITHDRAWN, timezone.now()
    flag.save(update_fields=["state", "closed_at"])
    item = QueueItem.objects.filter(post_id=flag.post_id).exclude(state=QueueItem.State.DECIDED).first()
    if item is not None:
        count = _count_open_flags(flag.post)
        fields = {"flag_count": count}
        published = Post.objects.filter(pk=flag.post_id, visibility=Visibility.PUBLISHED).exists()
        if count == 0 and not item.hold_code and published and item.state == QueueItem.State.OPEN:
            # Nothing left to review: the item closes itself (a stale form is refused).
            fields.update(state=QueueItem.State.DECIDED, decision="withdrawn", version=F("version") + 1)
        QueueItem.objects.filter(pk=item.pk).update(**fields)
    return flag


# ---------------------------------------------------------------- the queue
@transaction.atomic
def do_claim(*, actor, item: QueueItem, release: bool = False) -> QueueItem:
    if not permissions.can_moderate_channel(actor, item.channel):
        raise NotAllowed("")
    if release:
        QueueItem.objects.filter(pk=item.pk, claimed_by=actor).update(claimed_by=None, claimed_at=None)
    else:
        claimed = QueueItem.objects.filter(pk=item.pk, claimed_by__isnull=True).update(
            claimed_by=actor, claimed_at=timezone.now()
        )
        if not claimed and not QueueItem.objects.filter(pk=item.pk, claimed_by=actor).exists():
            raise ModerationError(_("この項目は、ほかのモデレーターが担当しています。"))
    item.refresh_from_db()
    return item


def _take_version(post: Post, expected_version: int) -> QueueItem:
    """Get (or create) the post's item and move its version on, or refuse a stale form.
    One conditional UPDATE: of two moderators acting at once, exactly one wins."""
    try:
        with transaction.atomic():
            item, _created = QueueItem.objects.get_or_create(
                post=post,
                defaults={
                    "channel_id": post.thread.channel_id,
                    "opened_at": timezone.now(),
                    "state": QueueItem.State.DECIDED,
                },
            )
    except IntegrityError:
        item = QueueItem.objects.get(post=post)
    won = QueueItem.objects.filter(pk=item.pk, version=expected_version).update(version=F("version") + 1)
    if not won:
        raise AlreadyDecided(_("この項目は、ほかのモデレーターがすでに対応しました。最新の状態を確認してください。"))
    item.refresh_from_db()
    return item


def _decide(item: QueueItem, actor, action: str) -> None:
    QueueItem.objects.filter(pk=item.pk).update(
        state=QueueItem.State.DECIDED,
        decision=action,
        decided_by=actor,
        decided_at=timezone.now(),
        claimed_by=None,
        claimed_at=None,
    )
    Flag.objects.filter(post_id=item.post_id, state=Flag.State.OPEN).update(
        state=Flag.State.RESOLVED, closed_at=timezone.now()
    )
    QueueItem.objects.filter(pk=item.pk).update(flag_count=0)


def default_escalation_department() -> Department | None:
    return Department.objects.filter(escalation_contact=True).order_by("id").first()


@transaction.atomic
def do_decide(
    *,
    actor,
    post: Post,
    action: str,
    reason: str,
    expected_version: int,
    category: str = "",
    new_body: str = "",
    channel: Channel | None = None,
    days: int | None = None,
    department: Department | None = None,
) -> AuditEntry:
    """Every moderator action on a post, its thread or its author. Refuses a stale form
    (AlreadyDecided): the second of two moderators is told, nothing is done twice."""
    post = Post.objects.select_related("thread__channel", "author").get(pk=post.pk)
    if not permissions.can_moderate_post(actor, post):
        raise NotAllowed("")
    if action not in ACTIONS:
        raise ModerationError(_("対応の種類を選んでください。"))
    reason = (reason or "").strip()
    if not reason:
        raise ModerationError(_("対応の理由を入力してください。理由は対応記録に残り、投稿者にも伝わります。"))
    _precheck(actor, post, action, new_body=new_body, channel=channel, days=days, department=department)
    item = _take_version(post, expected_version)
    if not category:
        category = item.hold_code if item.hold_code in HoldCode.values else _top_flag_reason(post)
    handler = {
        AuditAction.DISMISS: _dismiss,
        AuditAction.HIDE: _set_visibility,
        AuditAction.REMOVE: _set_visibility,
        AuditAction.RESTORE: _set_visibility,
        AuditAction.REDACT: _redact,
        AuditAction.LOCK: _lock,
        AuditAction.UNLOCK: _lock,
        AuditAction.MOVE: _move,
        AuditAction.WARN: _warn,
        AuditAction.SUSPEND: _suspend,
        AuditAction.UNSUSPEND: _suspend,
        AuditAction.ESCALATE: _escalate,
    }[action]
    entry = handler(
        actor=actor,
        post=post,
        item=item,
        action=action,
        reason=reason,
        category=category,
        new_body=new_body,
        channel=channel,
        days=days,
        department=department,
    )
    if action in POST_DECISIONS:
        _decide(item, actor, action)
    if action in AUTHOR_NOTICES:
        enqueue(_tasks().notify_author_of_decision, entry_id=entry.pk)
    return entry


def _precheck(actor, post, action, *, new_body, channel, days, department) -> None:
    if action == AuditAction.DISMISS and post.visibility != Visibility.PUBLISHED:
        raise ModerationError(
            _("この投稿は現在公開されていません。公開する場合は「元に戻す（公開する）」を選んでください。")
        )
    if action == AuditAction.REDACT:
        if not new_body.strip():
            raise ModerationError(_("編集後の本文を入力してください。"))
        if new_body.strip() == post.body.strip():
            raise ModerationError(_("本文が変わっていません。削除する部分を消してから保存してください。"))
    if action == AuditAction.MOVE:
        if channel is None or not permissions.can_move_thread(actor, post.thread, channel):
            raise ModerationError(_("移動先には、同じ階層でモデレートできる別のチャンネルを選んでください。"))
    if action in USER_ACTIONS and not permissions.can_act_on_user(actor, post.author):
        raise ModerationError(_("ご自身に対してこの対応はできません。"))
    if action in (AuditAction.SUSPEND, AuditAction.UNSUSPEND) and not permissions.can_suspend_user(actor, post.author):
        raise ModerationError(_("投稿の一時停止は、全体のモデレーターだけが行えます（モデレーターには行えません）。"))
    if action == AuditAction.SUSPEND and (days is None or not 1 <= days <= 365):
        raise ModerationError(_("停止する日数を1〜365の数字で入力してください。"))
    if action == AuditAction.ESCALATE and department is None and default_escalation_department() is None:
        raise ModerationError(_("回付先の担当課を選んでください。"))


def _top_flag_reason(post: Post) -> str:
    from django.db.models import Count

    row = (
        Flag.objects.filter(post=post, state=Flag.State.OPEN)
        .values("reason")
        .annotate(n=Count("id"))
        .order_by("-n", "reason")
        .first()
    )
    return row["reason"] if row else ""


def _dismiss(*, actor, post, item, action, reason, category, **_kw) -> AuditEntry:
    state = _post_state(post)
    return _audit(
        action, actor=actor, post=post, item=item, reason=reason, category=category, before=state, after=state
    )


_VISIBILITY_FOR = {
    AuditAction.HIDE: Visibility.HIDDEN,
    AuditAction.REMOVE: Visibility.REMOVED,
    AuditAction.RESTORE: Visibility.PUBLISHED,
}


def _set_visibility(*, actor, post, item, action, reason, category, **_kw) -> AuditEntry:
    before = _post_state(post)
    channel_services.do_set_post_visibility(actor=actor, post=post, visibility=_VISIBILITY_FOR[action], reason=reason)
    return _audit(
        action,
        actor=actor,
        post=post,
        item=item,
        reason=reason,
        category=category,
        before=before,
        after=_post_state(post),
    )


def _redact(*, actor, post, item, action, reason, category, new_body, **_kw) -> AuditEntry:
    before = _post_state(post)
    original = channel_services.do_redact_post(actor=actor, post=post, new_body=new_body)
    if post.visibility != Visibility.PUBLISHED:
        channel_services.do_set_post_visibility(actor=actor, post=post, visibility=Visibility.PUBLISHED, reason="")
    before.update(original)  # the original text: kept here, for moderators, and nowhere else
    after = _post_state(post) | {"body": new_body}
    return _audit(
        action, actor=actor, post=post, item=item, reason=reason, category=category, before=before, after=after
    )


def _lock(*, actor, post, item, action, reason, category, **_kw) -> AuditEntry:
    thread = post.thread
    before = {"is_locked": thread.is_locked}
    channel_services.do_lock_thread(actor=actor, thread=thread, locked=action == AuditAction.LOCK)
    return _audit(
        action,
        actor=actor,
        post=post,
        item=item,
        reason=reason,
        category=category,
        subject_user_id=thread.author_id,
        before=before,
        after={"is_locked": thread.is_locked},
    )


def _move(*, actor, post, item, action, reason, category, channel, **_kw) -> AuditEntry:
    thread = post.thread
    before = {"channel": thread.channel_id}
    channel_services.do_move_thread(actor=actor, thread=thread, channel=channel)
    QueueItem.objects.filter(post__thread=thread).update(channel=channel)
    return _audit(
        action,
        actor=actor,
        post=post,
        item=item,
        reason=reason,
        category=category,
        channel_id=channel.pk,
        subject_user_id=thread.author_id,
        before=before,
        after={"channel": channel.pk},
    )


def _warn(*, actor, post, item, action, reason, category, **_kw) -> AuditEntry:
    return _audit(action, actor=actor, post=post, item=item, reason=reason, category=category)


def _suspend(*, actor, post, item, action, reason, category, days, **_kw) -> AuditEntry:
    user = post.author
    before = {"suspended_until": user.suspended_until.isoformat() if user.suspended_until else None}
    until = timezone.now() + dt.timedelta(days=days) if action == AuditAction.SUSPEND else None
    _set_suspension(user, until)
    return _audit(
        action,
        actor=actor,
        post=post,
        item=item,
        reason=reason,
        category=category,
        before=before,
        after={"suspended_until": until.isoformat() if until else None},
    )


def _set_suspension(user, until) -> None:
    """The one place that writes User.suspended_until (channels.permissions.is_suspended reads it)."""
    user.suspended_until = until
    user.save(update_fields=["suspended_until"])


def _escalate(*, actor, post, item, action, reason, category, department, **_kw) -> AuditEntry:
    department = department or default_escalation_department()
    escalation = Escalation.objects.create(item=item, department=department, note=reason, created_by=actor)
    QueueItem.objects.filter(pk=item.pk).update(state=QueueItem.State.ESCALATED, claimed_by=None, claimed_at=None)
    entry = _audit(
        action,
        actor=actor,
        post=post,
        item=item,
        escalation=escalation,
        reason=reason,
        category=category,
        before={"item_state": item.state},
        after={"item_state": QueueItem.State.ESCALATED, "department": department.slug},
    )
    enqueue(_tasks().notify_department_of_escalation, escalation_id=escalation.pk)
    return entry


@transaction.atomic
def do_answer_escalation(*, actor, escalation: Escalation, answer: str) -> Escalation:
    escalation = Escalation.objects.select_for_update().select_related("item__post__thread").get(pk=escalation.pk)
    if not permissions.can_answer_escalation(actor, escalation):
        if escalation.state == Escalation.State.CLOSED:
            raise ModerationError(_("この回付にはすでに回答済みです。"))
        raise NotAllowed("")
    answer = (answer or "").strip()
    if not answer:
        raise ModerationError(_("回答を入力してください。"))
    escalation.state, escalation.answer = Escalation.State.CLOSED, answer
    escalation.answered_by, escalation.answered_at = actor, timezone.now()
    escalation.save(update_fields=["state", "answer", "answered_by", "answered_at"])
    item = escalation.item
    # Back to the moderators, with the answer, for the decision.
    QueueItem.objects.filter(pk=item.pk, state=QueueItem.State.ESCALATED).update(
        state=QueueItem.State.OPEN, version=F("version") + 1
    )
    _audit(
        AuditAction.ESCALATION_ANSWERED,
        actor=actor,
        post=item.post,
        item=item,
        escalation=escalation,
        reason=answer,
        before={"escalation_state": Escalation.State.OPEN},
        after={"escalation_state": Escalation.State.CLOSED},
    )
    enqueue(_tasks().notify_moderator_of_answer, escalation_id=escalation.pk)
    return escalation


# ----------------------------------------------------------- accountability
@transaction.atomic
def do_view_identity(*, actor, post: Post, reason: str) -> dict:
    """Who is behind a pen name: needs its own permission and a written reason; always audited."""
    post = Post.objects.select_related("thread__channel", "author").get(pk=post.pk)
    if not permissions.can_view_identity(actor, post):
        raise NotAllowed("")
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ModerationError(_("確認する理由を10文字以上で具体的に書いてください。理由は対応記録に残ります。"))
    _audit(AuditAction.VIEW_IDENTITY, actor=actor, post=post, reason=reason)
    author = post.author
    return {
        "real_name": author.real_name,
        "email": author.email,
        "organisation": author.organisation,
        "real_name_verified": author.real_name_verified,
        "date_joined": author.date_joined,
    }


# ----------------------------------------------------------------- NG words
@transaction.atomic
def do_add_ng_word(*, actor, word: str, reason: str = "") -> NGWord:
    if not permissions.can_manage_ng_words(actor):
        raise NotAllowed("")
    word = (word or "").strip()
    key = ng_key(word)
    if not key:
        raise ModerationError(_("語句を入力してください。"))
    if NGWord.objects.filter(key=key).exists():
        raise ModerationError(_("この語句はすでに登録されています。"))
    ng = NGWord.objects.create(word=word, key=key, created_by=actor)
    _audit(AuditAction.NG_WORD_ADD, actor=actor, reason=reason or word, after={"word": word})
    return ng


@transaction.atomic
def do_remove_ng_word(*, actor, ng_word: NGWord, reason: str = "") -> None:
    if not permissions.can_manage_ng_words(actor):
        raise NotAllowed("")
    word = ng_word.word
    NGWord.objects.filter(pk=ng_word.pk).delete()
    _audit(AuditAction.NG_WORD_REMOVE, actor=actor, reason=reason or word, before={"word": word})
