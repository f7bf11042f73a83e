"""Tiers, channels, workspaces, memberships, threads and posts (range 【2】)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.Model):
    A = "A"
    B = "B"
    C = "C"

    code = models.CharField(max_length=1, primary_key=True)
    name_ja = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100, blank=True)
    who_may_join = models.CharField(max_length=100, blank=True)
    identity = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("階層")
        verbose_name_plural = _("階層")

    def __str__(self) -> str:
        return f"{self.code}: {self.name_ja}"


class Workspace(models.Model):
    slug = models.SlugField(unique=True)
    name_ja = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英語名"), max_length=100, blank=True)
    owners = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="owned_workspaces")

    class Meta:
        ordering = ["id"]
        verbose_name = _("ワークスペース")
        verbose_name_plural = _("ワークスペース")

    def __str__(self) -> str:
        return self.name_ja


class PostingPolicy(models.TextChoices):
    OPEN = "open", _("参加者が投稿できます")
    STAFF_ONLY = "staff_only", _("市職員のみ投稿できます")
    CLOSED = "closed", _("投稿を締め切りました")


class Channel(models.Model):
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="channels")
    number = models.PositiveSmallIntegerField(_("番号"), null=True, blank=True)
    slug = models.SlugField(unique=True)
    name_ja = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英語名"), max_length=100, blank=True)
    theme_ja = models.CharField(_("テーマ"), max_length=200, blank=True)
    description = models.TextField(_("説明"), blank=True)
    departments = models.ManyToManyField(
        "accounts.Department", blank=True, related_name="channels", verbose_name=_("担当課")
    )
    # B → the A channel of the same name; reverse: a.planning_rooms
    linked_channel = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="planning_rooms"
    )
    workspace = models.OneToOneField(Workspace, null=True, blank=True, on_delete=models.CASCADE, related_name="channel")
    members_only = models.BooleanField(_("メンバーのみ閲覧"), default=False)
    posting_policy = models.CharField(
        _("投稿の設定"), max_length=20, choices=PostingPolicy.choices, default=PostingPolicy.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tier", "number", "id"]
        verbose_name = _("チャンネル")
        verbose_name_plural = _("チャンネル")
        permissions = [
            ("view_private_channel", _("非公開チャンネルを閲覧できる")),
            ("post_in_channel", _("チャンネルに投稿できる")),
            ("moderate_channel", _("チャンネルをモデレートできる")),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        circled = "①②③④⑤⑥⑦⑧⑨⑩"
        if self.number and self.number <= len(circled):
            return f"{circled[self.number - 1]} {self.name_ja}"
        return self.name_ja

    @property
    def is_public_tier(self) -> bool:
        return self.tier_id == Tier.A


class Membership(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", _("メンバー")
        INVITED = "invited", _("招待中")
        REQUESTED = "requested", _("参加申請中")
        LEFT = "left", _("退出")
        REMOVED = "removed", _("除名")
        DECLINED = "declined", _("参加申請を見送り")  # C2

    class Role(models.TextChoices):
        MEMBER = "member", _("メンバー")
        OWNER = "owner", _("運営者")

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    invited_email = models.EmailField(blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.ACTIVE)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("関係者・メンバー")
        verbose_name_plural = _("関係者・メンバー")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "user"], condition=models.Q(user__isnull=False), name="one_membership_per_user"
            )
        ]
        indexes = [models.Index(fields=["user", "state"])]


class InitiativeKind(models.TextChoices):
    PUBLIC_PRIVATE = "public-private", _("公民連携型")
    INTERMEDIATE = "intermediate", _("中間領域（移行中）")
    PRIVATE_LED = "private-led", _("民主導型")


class Phase(models.TextChoices):
    PLANNING = "planning", _("企画・振り返り")
    EXECUTION = "execution", _("実行")
    ARCHIVED = "archived", _("アーカイブ")


class Visibility(models.TextChoices):
    PUBLISHED = "published", _("公開")
    PENDING = "pending", _("確認待ち")
    HIDDEN = "hidden", _("非表示")
    REMOVED = "removed", _("削除（理由を表示）")


class Thread(models.Model):
    # Not official content: Wagtail's reference index need not track it (8 queries per reply).
    wagtail_reference_index_ignore = True

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="threads")
    title = models.CharField(_("タイトル"), max_length=120)
    kind = models.CharField(_("取組みの種類"), max_length=20, choices=InitiativeKind.choices)
    phase = models.CharField(_("フェイズ"), max_length=20, choices=Phase.choices, default=Phase.PLANNING)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="threads")
    # The thread's own state follows its first post; moderators may lock it.
    visibility = models.CharField(max_length=20, choices=Visibility.choices, default=Visibility.PUBLISHED)
    is_locked = models.BooleanField(_("ロック"), default=False)
    summary = models.TextField(_("まとめ"), blank=True)
    summary_published = models.BooleanField(_("まとめを公開"), default=False)
    # Denormalised for lists; recomputed by channels.services on every visibility change.
    visible_post_count = models.PositiveIntegerField(default=0)
    last_activity_at = models.DateTimeField(db_index=True)
    last_post = models.ForeignKey("Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("トピック")
        verbose_name_plural = _("トピック")
        indexes = [
            models.Index(fields=["channel", "visibility", "-last_activity_at"]),
            models.Index(fields=["channel", "kind", "phase", "-last_activity_at"]),
        ]

    def __str__(self) -> str:
        return self.title


class PhaseChange(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="phase_changes")
    from_phase = models.CharField(max_length=20, choices=Phase.choices)
    to_phase = models.CharField(max_length=20, choices=Phase.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]


class Post(models.Model):
    # Not official content: Wagtail's reference index need not track it (8 queries per reply).
    wagtail_reference_index_ignore = True

    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="posts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts")
    quoted = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="quoted_by")
    body = models.TextField(_("本文"), max_length=10000)
    body_html = models.TextField(editable=False)  # rendered and sanitised once, on save
    visibility = models.CharField(
        max_length=20, choices=Visibility.choices, default=Visibility.PUBLISHED, db_index=True
    )
    moderation_reason = models.TextField(blank=True)
    # Snapshot at posting time: staff voice is decided by who posted, not who they are now.
    author_was_staff = models.BooleanField(default=False)
    is_deleted_by_author = models.BooleanField(default=False)
    edited_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The hidden form token: a double-submitted form finds this post instead of making a second one.
    idempotency_key = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("投稿")
        verbose_name_plural = _("投稿")
        indexes = [
            models.Index(fields=["thread", "created_at", "id"]),
            models.Index(fields=["author", "-created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="one_post_per_form_token",
            )
        ]

    def __str__(self) -> str:
        return f"Post {self.pk}"

    @property
    def is_readable(self) -> bool:
        return self.visibility == Visibility.PUBLISHED and not self.is_deleted_by_author


class PostRevision(models.Model):
    """Earlier versions of an edited post; visible to moderators only."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    body_html = models.TextField()
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]


class Citation(models.Model):
    """A thread's starting point in the official range: a Wagtail page or an archive record."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="citations")
    page = models.ForeignKey("wagtailcore.Page", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    meeting = models.ForeignKey(
        "archive.Meeting", null=True, blank=True, on_delete=models.CASCADE, related_name="citations"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(page__isnull=False) | models.Q(meeting__isnull=False), name="citation_has_target"
            )
        ]


# --- membership, attachments, follows (C2)
def private_storage():
    """Attachments live outside MEDIA_ROOT and have no URL: only channels.attachment_views serves them."""
    from .attachments import PrivateStorage

    return PrivateStorage()


def attachment_path(instance, filename: str) -> str:
    # A random name without the user's extension; the original name is kept in the row.
    return f"attachments/{instance.public_id.hex[:2]}/{instance.public_id.hex}"


class Attachment(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", _("画像")
        PDF = "pdf", _("PDF")
        OFFICE = "office", _("Office文書")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=private_storage, upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("ファイル名"), max_length=255)
    content_type = models.CharField(max_length=100)  # decided from the content, never from the client
    kind = models.CharField(max_length=10, choices=Kind.choices)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("添付ファイル")
        verbose_name_plural = _("添付ファイル")

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.kind == self.Kind.IMAGE


class Follow(models.Model):
    """A user follows a channel or a thread (exactly one) and gets e-mail about new posts."""

    class Delivery(models.TextChoices):
        IMMEDIATE = "immediate", _("投稿のたびにメールで受け取る")
        DAILY = "daily", _("1日1回まとめて受け取る")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="follows")
    thread = models.ForeignKey(Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="follows")
    delivery = models.CharField(
        _("通知の受け取り方"), max_length=20, choices=Delivery.choices, default=Delivery.IMMEDIATE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("フォロー（通知を受け取る）")
        verbose_name_plural = _("フォロー（通知を受け取る）")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(channel__isnull=False) & models.Q(thread__isnull=True))
                | (models.Q(channel__isnull=True) & models.Q(thread__isnull=False)),
                name="follow_channel_xor_thread",
            ),
            models.UniqueConstraint(
                fields=["user", "channel"], condition=models.Q(channel__isnull=False), name="one_follow_per_channel"
            ),
            models.UniqueConstraint(
                fields=["user", "thread"], condition=models.Q(thread__isnull=False), name="one_follow_per_thread"
            ),
        ]
        indexes = [models.Index(fields=["channel", "user"]), models.Index(fields=["thread", "user"])]

    def __str__(self) -> str:
        return f"Follow {self.pk}"


class PostNotification(models.Model):
    """One post for one follower: sent at once, or waiting for the daily digest (sent_at empty).

    Visibility is checked again when the e-mail is sent; the row also makes the task idempotent."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    follow = models.ForeignKey(Follow, on_delete=models.CASCADE, related_name="notifications")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    delivery = models.CharField(max_length=20, choices=Follow.Delivery.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="one_notification_per_post")]
        indexes = [models.Index(fields=["delivery", "sent_at", "user"])]
