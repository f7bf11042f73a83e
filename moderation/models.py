"""Flags, the review queue, escalations, NG words and the append-only audit log."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FlagReason(models.TextChoices):
    SPAM = "spam", _("スパム・宣伝")
    HARASSMENT = "harassment", _("嫌がらせ・誹謗中傷")
    PERSONAL_INFO = "personal_info", _("個人情報")
    MISINFORMATION = "misinformation", _("誤った情報")
    OFF_TOPIC = "off_topic", _("話題と関係がない")
    STAFF_RULES = "staff_rules", _("職員の投稿ルール違反")
    OTHER = "other", _("その他")


class HoldCode(models.TextChoices):
    """Why a post was held automatically (channels.hooks.Hold.code)."""

    NEW_ACCOUNT = "new_account", _("新しいアカウントの投稿")
    PERSONAL_DATA = "personal_data", _("個人情報の可能性")
    NG_WORD = "ng_word", _("確認が必要な語句")
    FLAG_THRESHOLD = "flag_threshold", _("通報が一定数に達した")


class Flag(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("未対応")
        RESOLVED = "resolved", _("対応済み")
        WITHDRAWN = "withdrawn", _("取り消し")

    post = models.ForeignKey("channels.Post", on_delete=models.PROTECT, related_name="flags")
    # Never shown to the author nor to moderators: nobody learns who flagged.
    flagger = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="flags")
    reason = models.CharField(_("通報の理由"), max_length=20, choices=FlagReason.choices)
    note = models.TextField(_("補足"), max_length=1000, blank=True)
    official_url = models.URLField(_("正しい情報が載っている公式ページ"), max_length=500, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    # Set when the flag was made while the post was already not published (no new queue item).
    on_unpublished_post = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("通報")
        verbose_name_plural = _("通報")
        constraints = [
            models.UniqueConstraint(
                fields=["post", "flagger"], condition=models.Q(state="open"), name="one_open_flag_per_user_per_post"
            )
        ]
        indexes = [models.Index(fields=["post", "state"]), models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"Flag {self.pk}"


class QueueItem(models.Model):
    """One review case per post. Reopened (not duplicated) when new flags arrive after a decision."""

    class State(models.TextChoices):
        OPEN = "open", _("未対応")
        ESCALATED = "escalated", _("担当課へ回付中")
        DECIDED = "decided", _("対応済み")

    post = models.OneToOneField("channels.Post", on_delete=models.PROTECT, related_name="queue_item")
    channel = models.ForeignKey("channels.Channel", on_delete=models.PROTECT, related_name="+")  # follows moves
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    hold_code = models.CharField(max_length=20, choices=HoldCode.choices, blank=True)
    flag_count = models.PositiveIntegerField(default=0)  # distinct users with an open flag
    # Staff posts flagged by citizens go to the top instead of being hidden automatically.
    priority = models.PositiveSmallIntegerField(default=0)
    opened_at = models.DateTimeField(db_index=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Optimistic concurrency: every action increments it; a stale form is refused.
    version = models.PositiveIntegerField(default=0)
    decision = models.CharField(max_length=30, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Set once moderators were told (immediately or in the digest).
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("確認待ちの投稿")
        verbose_name_plural = _("確認待ちの投稿")
        indexes = [
            models.Index(fields=["state", "-priority", "opened_at"]),
            models.Index(fields=["channel", "state", "-priority", "opened_at"]),
        ]

    def __str__(self) -> str:
        return f"QueueItem {self.pk}"


class Escalation(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("回答待ち")
        CLOSED = "closed", _("回答済み")

    item = models.ForeignKey(QueueItem, on_delete=models.PROTECT, related_name="escalations")
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="escalations")
    note = models.TextField(_("回付の内容"), max_length=4000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    answer = models.TextField(_("回答"), max_length=4000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("担当課への回付")
        verbose_name_plural = _("担当課への回付")
        indexes = [models.Index(fields=["department", "state", "-created_at"])]

    def __str__(self) -> str:
        return f"Escalation {self.pk}"


class NGWord(models.Model):
    """A word or phrase that holds a post for review. Compared after NFKC + casefold."""

    word = models.CharField(_("語句"), max_length=100)
    key = models.CharField(max_length=100, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("NGワード")
        verbose_name_plural = _("NGワード")

    def __str__(self) -> str:
        return self.word


# ---------------------------------------------------------------- audit log
class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit row."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The audit log is append-only.")

    def delete(self):
        raise AppendOnlyError("The audit log is append-only.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("The audit log is append-only.")

    def update_or_create(self, *args, **kwargs):
        raise AppendOnlyError("The audit log is append-only.")

    async def aupdate(self, **kwargs):
        raise AppendOnlyError("The audit log is append-only.")

    async def adelete(self):
        raise AppendOnlyError("The audit log is append-only.")


class AuditAction(models.TextChoices):
    AUTO_HOLD = "auto_hold", _("自動で確認待ちにした")
    AUTO_HIDE = "auto_hide", _("通報が一定数に達したため自動で非表示にした")
    AUTO_RELEASE = "auto_release", _("投稿者の編集後、自動の確認を通過したため公開した")
    DISMISS = "dismiss", _("通報を見送った")
    HIDE = "hide", _("非表示にした")
    REMOVE = "remove", _("削除した（理由を表示）")
    RESTORE = "restore", _("元に戻した（公開した）")
    REDACT = "redact", _("一部を編集して公開した")
    LOCK = "lock", _("トピックをロックした")
    UNLOCK = "unlock", _("トピックのロックを解除した")
    MOVE = "move", _("トピックを移動した")
    WARN = "warn", _("利用者に注意した")
    SUSPEND = "suspend", _("投稿を一時停止した")
    UNSUSPEND = "unsuspend", _("投稿の一時停止を解除した")
    ESCALATE = "escalate", _("担当課へ回付した")
    ESCALATION_ANSWERED = "escalation_answered", _("担当課が回答した")
    VIEW_IDENTITY = "view_identity", _("ペンネームの利用者を確認した")
    NG_WORD_ADD = "ng_word_add", _("NGワードを追加した")
    NG_WORD_REMOVE = "ng_word_remove", _("NGワードを削除した")


class AuditEntry(models.Model):
    """One row per moderation action and automatic hold. Append-only: the application
    refuses to change or delete a row (model, queryset, admin; a trigger on PostgreSQL)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(  # null: an automatic hold
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=30, choices=AuditAction.choices)
    # For the transparency report: a flag reason or a hold code (no free text).
    category = models.CharField(max_length=20, blank=True)
    reason = models.TextField(blank=True)
    channel = models.ForeignKey("channels.Channel", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    thread = models.ForeignKey("channels.Thread", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    post = models.ForeignKey("channels.Post", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    subject_user = models.ForeignKey(  # whose content or account the action concerns
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    item = models.ForeignKey(QueueItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    escalation = models.ForeignKey(Escalation, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("対応記録")
        verbose_name_plural = _("対応記録")
        indexes = [
            models.Index(fields=["subject_user", "-created_at"]),
            models.Index(fields=["channel", "-created_at"]),
            models.Index(fields=["action", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"AuditEntry {self.pk}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("The audit log is append-only.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The audit log is append-only.")
