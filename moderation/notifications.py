"""E-mails of the moderation app, called by moderation.tasks.

Each function re-checks state when it runs (an item already handled, a decision
already superseded, a recipient no longer a moderator: nothing is sent). No e-mail
names a flagger: flags reach moderators as counts and reasons only, and authors
hear the decision and its reason.
"""

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from channels.permissions import is_signed_in, is_suspended

from . import permissions, selectors
from .models import AuditAction, Escalation, HoldCode, QueueItem

SUBJECT_PREFIX = "[熊谷市Webコモンスペース] "


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _message(*, subject: str, to: str, template: str, context: dict) -> EmailMessage:
    context = {**context, "SITE_URL": settings.SITE_URL}
    prefix = getattr(settings, "ACCOUNT_EMAIL_SUBJECT_PREFIX", SUBJECT_PREFIX)
    subject = " ".join(f"{prefix}{subject}".split())
    return EmailMessage(
        subject=subject,
        body=render_to_string(f"moderation/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Auto-Submitted": "auto-generated"},
    )


def _item_entry(item: QueueItem) -> dict:
    return {
        "item": item,
        "channel": item.channel,
        "label": HoldCode(item.hold_code).label if item.hold_code else translation.gettext("通報"),
        "url": absolute(reverse("moderation:item", args=[item.post_id])),
    }


def notify_moderators_of_item(item_id: int) -> int:
    """At once, for personal-data holds: every moderator of the item's channel."""
    claimed = QueueItem.objects.filter(pk=item_id, state=QueueItem.State.OPEN, notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
    if not claimed:
        return 0
    item = QueueItem.objects.select_related("channel").get(pk=item_id)
    recipients = selectors.moderators_for_channels([item.channel_id])
    try:
        with translation.override(settings.LANGUAGE_CODE):
            entry = _item_entry(item)
            messages = [
                _message(
                    subject=translation.gettext("確認が必要な投稿があります（%(label)s）") % {"label": entry["label"]},
                    to=user.email,
                    template="moderator_item",
                    context={"recipient": user, "entry": entry},
                )
                for user in recipients
                if user.email
            ]
        mailers.default.send_messages(messages)
    except Exception:
        QueueItem.objects.filter(pk=item_id).update(notified_at=None)  # try again on retry
        raise
    return len(messages)


def send_moderator_digest() -> int:
    """Beat: one e-mail per moderator listing new open items of their channels not yet announced."""
    items = list(
        QueueItem.objects.filter(state=QueueItem.State.OPEN, notified_at__isnull=True)
        .select_related("channel")
        .order_by("-priority", "opened_at")[:500]
    )
    if not items:
        return 0
    QueueItem.objects.filter(pk__in=[i.pk for i in items]).update(notified_at=timezone.now())
    scopes = selectors.moderator_scopes({i.channel_id for i in items})
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        messages = []
        for user, channel_ids in scopes:
            mine = [i for i in items if channel_ids is None or i.channel_id in channel_ids]
            if not mine or not user.email:
                continue
            messages.append(
                _message(
                    subject=translation.gettext("確認待ちの投稿が%(n)s件あります") % {"n": len(mine)},
                    to=user.email,
                    template="moderator_digest",
                    context={
                        "recipient": user,
                        "entries": [_item_entry(i) for i in mine],
                        "queue_url": absolute(reverse("moderation:queue")),
                    },
                )
            )
        sent = len(messages)
    mailers.default.send_messages(messages)
    return sent


def _still_true(entry) -> bool:
    """Is the decision the e-mail reports still in force?"""
    action, after = entry.action, entry.after or {}
    if entry.action in (AuditAction.WARN,):
        return True
    if action in (AuditAction.SUSPEND,):
        return is_suspended(entry.subject_user)
    if action == AuditAction.UNSUSPEND:
        return not is_suspended(entry.subject_user)
    if action in (AuditAction.LOCK, AuditAction.UNLOCK):
        return entry.thread.is_locked == after.get("is_locked")
    if action == AuditAction.MOVE:
        return entry.thread.channel_id == after.get("channel")
    if "visibility" in after and entry.post is not None:
        return entry.post.visibility == after["visibility"]
    return True


def notify_author_of_decision(entry_id: int) -> bool:
    """The author (or the account concerned) hears the decision and its reason — never who flagged."""
    entry = (
        selectors.audit_entries_base()
        .filter(pk=entry_id)
        .select_related("post__thread__channel", "thread__channel", "subject_user")
        .first()
    )
    if entry is None or entry.subject_user is None:
        return False
    user = entry.subject_user
    if not is_signed_in(user) or not user.email or not _still_true(entry):
        return False
    thread = entry.thread
    with translation.override(settings.LANGUAGE_CODE):
        url = ""
        if thread is not None and entry.action != AuditAction.SUSPEND:
            url = absolute(reverse("channels:thread", args=[thread.channel.slug, thread.pk]))
            if entry.post_id:
                url += f"#post-{entry.post_id}"
        message = _message(
            subject=translation.gettext("投稿についてのお知らせ"),
            to=user.email,
            template="author_decision",
            context={
                "recipient": user,
                "entry": entry,
                "action_label": AuditAction(entry.action).label,
                "thread": thread,
                "url": url,
                "guidelines_url": absolute(reverse("accounts:guidelines")),
            },
        )
    message.send()
    return True


def notify_department_of_escalation(escalation_id: int) -> int:
    escalation = Escalation.objects.select_related("department", "item__channel").filter(pk=escalation_id).first()
    if escalation is None or escalation.state != Escalation.State.OPEN:
        return 0
    staff = selectors.department_staff(escalation.department_id)
    with translation.override(settings.LANGUAGE_CODE):
        messages = [
            _message(
                subject=translation.gettext("モデレーターから担当課への回付があります"),
                to=user.email,
                template="escalation",
                context={
                    "recipient": user,
                    "escalation": escalation,
                    "url": absolute(reverse("moderation:escalation", args=[escalation.pk])),
                },
            )
            for user in staff
            if user.email
        ]
    mailers.default.send_messages(messages)
    return len(messages)


def notify_moderator_of_answer(escalation_id: int) -> bool:
    escalation = (
        Escalation.objects.select_related("department", "item__channel", "created_by").filter(pk=escalation_id).first()
    )
    if escalation is None or escalation.state != Escalation.State.CLOSED:
        return False
    moderator = escalation.created_by
    if not permissions.can_moderate_channel(moderator, escalation.item.channel) or not moderator.email:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        message = _message(
            subject=translation.gettext("担当課から回付への回答がありました"),
            to=moderator.email,
            template="escalation_answered",
            context={
                "recipient": moderator,
                "escalation": escalation,
                "url": absolute(reverse("moderation:item", args=[escalation.item.post_id])),
            },
        )
    message.send()
    return True
