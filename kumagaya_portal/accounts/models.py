"""Users, their profile, the city's departments and the staff rules."""

import unicodedata

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    slug = models.SlugField(unique=True)
    name_ja = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英語名"), max_length=100, blank=True)
    parent_ja = models.CharField(_("上位組織"), max_length=100, blank=True)
    escalation_contact = models.BooleanField(_("回付の既定の窓口"), default=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("担当課")
        verbose_name_plural = _("担当課")

    def __str__(self) -> str:
        return self.name_ja


class StaffRules(models.Model):
    """The staff rules and disclaimer; the newest row is in force."""

    version = models.CharField(max_length=40, unique=True)
    disclaimer_ja = models.TextField()
    disclaimer_en = models.TextField(blank=True)
    not_official_ja = models.TextField()
    rules_ja = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("職員の投稿ルール")
        verbose_name_plural = _("職員の投稿ルール")

    def __str__(self) -> str:
        return self.version

    @classmethod
    def current(cls) -> "StaffRules | None":
        return cls.objects.order_by("-created_at", "-id").first()


def normalize_pen_name(value: str) -> str:
    """Comparison key: full-/half-width and case folded (ＡＢＣ == abc)."""
    return unicodedata.normalize("NFKC", value).casefold().strip()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person. `is_staff` means Wagtail/Django admin access; city staff are
    `is_city_staff`. The pen name is the only thing tier A ever shows."""

    username = None
    email = models.EmailField(_("メールアドレス"), unique=True)

    pen_name = models.CharField(_("ペンネーム"), max_length=20, blank=True)
    pen_name_key = models.CharField(max_length=40, unique=True, null=True, blank=True, editable=False)
    real_name = models.CharField(_("氏名（実名）"), max_length=100, blank=True)
    organisation = models.CharField(_("所属（企業・団体名）"), max_length=100, blank=True)
    real_name_verified = models.BooleanField(_("実名確認済み"), default=False)
    is_city_staff = models.BooleanField(_("市職員"), default=False)
    department = models.ForeignKey(
        Department, verbose_name=_("担当課"), null=True, blank=True, on_delete=models.SET_NULL, related_name="staff"
    )
    guidelines_version = models.CharField(_("同意した利用ガイドラインの版"), max_length=40, blank=True)
    staff_rules_version = models.CharField(_("確認した職員ルールの版"), max_length=40, blank=True)
    # Set by moderation (moderation.services): can read, cannot post or flag until then.
    suspended_until = models.DateTimeField(_("投稿停止の期限"), null=True, blank=True)
    is_deleted = models.BooleanField(_("退会済み"), default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("利用者")
        verbose_name_plural = _("利用者")
        permissions = [("view_identity", _("ペンネームの利用者を確認できる"))]

    def __str__(self) -> str:
        # Never the e-mail or real name: __str__ leaks into logs and admin widgets.
        return f"#{self.pk}"

    def save(self, *args, **kwargs):
        self.pen_name = unicodedata.normalize("NFC", self.pen_name or "").strip()
        self.pen_name_key = normalize_pen_name(self.pen_name) or None
        super().save(*args, **kwargs)

    @property
    def is_moderator(self) -> bool:
        return self.is_active and (self.is_superuser or self.has_perm("channels.moderate_channel"))


def user_display(user) -> str:
    """How allauth names the signed-in user to themselves: the pen name, else the real name, else nothing
    identifying (never the e-mail address)."""
    return user.pen_name or user.real_name or ""
