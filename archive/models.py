"""Meetings, workshops and reports the city held (range 【1】)."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import models
from django.utils.translation import gettext_lazy as _

TOKYO = ZoneInfo("Asia/Tokyo")


class MeetingType(models.Model):
    code = models.PositiveSmallIntegerField(unique=True)
    name_ja = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英語名"), max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("会議の類型")
        verbose_name_plural = _("会議の類型")

    def __str__(self) -> str:
        return f"{self.code}. {self.name_ja}"


class Meeting(models.Model):
    class Status(models.TextChoices):
        HELD = "held", _("開催済み")
        PLANNED = "planned", _("開催予定")
        CONSIDERING = "considering", _("検討中")

    class Format(models.TextChoices):
        IN_PERSON = "in_person", _("会場開催")
        ONLINE = "online", _("オンライン開催")
        HYBRID = "hybrid", _("ハイブリッド開催（会場＋オンライン）")

    title = models.CharField(_("タイトル"), max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    meeting_type = models.ForeignKey(
        MeetingType, null=True, blank=True, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("類型")
    )
    status = models.CharField(_("状況"), max_length=20, choices=Status.choices, default=Status.PLANNED)
    # Local (Asia/Tokyo) calendar date; null = undecided. `month` keeps what is known.
    date = models.DateField(_("開催日"), null=True, blank=True, db_index=True)
    month = models.DateField(_("開催月（日程未定の場合）"), null=True, blank=True)
    start_time = models.TimeField(_("開始時刻"), null=True, blank=True)
    end_time = models.TimeField(_("終了時刻"), null=True, blank=True)
    venue = models.CharField(_("会場"), max_length=200, blank=True)
    format = models.CharField(_("開催形式"), max_length=20, choices=Format.choices, default=Format.IN_PERSON)
    online_url = models.URLField(_("オンライン参加URL"), blank=True)
    department = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meetings",
        verbose_name=_("担当課"),
    )
    channel = models.ForeignKey(
        "channels.Channel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meetings",
        verbose_name=_("議論を続けるチャンネル"),
    )
    note = models.TextField(_("備考"), blank=True)
    is_public = models.BooleanField(_("公開"), default=True)
    # Fiscal year (April–March) of `date` or `month`, kept for filtering with an index.
    fiscal_year = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = [models.F("date").desc(nulls_last=True), "-start_time", "id"]
        verbose_name = _("会議・イベント")
        verbose_name_plural = _("会議・イベント")
        indexes = [models.Index(fields=["is_public", "status", "fiscal_year"])]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        day = self.date or self.month
        self.fiscal_year = (day.year if day.month >= 4 else day.year - 1) if day else None
        super().save(*args, **kwargs)

    @property
    def starts_at(self) -> dt.datetime | None:
        if not self.date:
            return None
        return dt.datetime.combine(self.date, self.start_time or dt.time(0, 0), tzinfo=TOKYO)

    @property
    def ends_at(self) -> dt.datetime | None:
        if not (self.date and self.end_time):
            return None
        return dt.datetime.combine(self.date, self.end_time, tzinfo=TOKYO)
