"""Meetings, workshops and reports the city held (range 【1】).

Staff edit them in the Wagtail admin as snippets with revisions and drafts
(see archive/wagtail_hooks.py). Public pages show only records that are both
published (`live`) and public (`is_public`): `Model.objects.public()`.

Dates are local Asia/Tokyo calendar dates plus local times: a meeting at 00:30
JST is stored as that day, so it belongs to its own day in every list, filter
and feed without any time-zone arithmetic.
"""

import datetime as dt
import secrets
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.models import DraftStateMixin, Orderable, RevisionMixin
from wagtail.search import index

TOKYO = ZoneInfo("Asia/Tokyo")
# Path segments under /archive/ that a record slug must not take.
RESERVED_SLUGS = {"feed", "atom", "rss", "meetings", "ics", "page"}


def fiscal_year_of(day: dt.date | None) -> int | None:
    """April–March: 2025-03-31 → 2024, 2025-04-01 → 2025."""
    if day is None:
        return None
    return day.year if day.month >= 4 else day.year - 1


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


class RecordQuerySet(models.QuerySet):
    def public(self):
        """Published and public: the only records anonymous pages, feeds and search may show."""
        return self.filter(is_public=True, live=True)


class Status(models.TextChoices):
    HELD = "held", _("開催済み")
    PLANNED = "planned", _("開催予定")
    CONSIDERING = "considering", _("検討中")


class Format(models.TextChoices):
    IN_PERSON = "in_person", _("会場開催")
    ONLINE = "online", _("オンライン開催")
    HYBRID = "hybrid", _("ハイブリッド開催（会場＋オンライン）")


class ArchiveRecord(DraftStateMixin, RevisionMixin, ClusterableModel):
    """What every archive record has: a slug under /archive/, a department, a channel, a public flag."""

    kind = ""  # "meeting" | "workshop" | "report"
    slug_prefix = ""

    title = models.CharField(_("タイトル"), max_length=200)
    slug = models.SlugField(
        _("URL名"),
        max_length=80,
        unique=True,
        blank=True,
        help_text=_("/archive/ の後ろに続く半角英数字です。空欄にすると日付から自動で作ります。"),
    )
    department = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="%(class)ss",
        verbose_name=_("担当課"),
    )
    channel = models.ForeignKey(
        "channels.Channel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="%(class)ss",
        verbose_name=_("議論を続けるチャンネル"),
    )
    is_public = models.BooleanField(
        _("一般に公開する"),
        default=True,
        help_text=_("外すと、公開ページ・フィード・検索・カレンダーのどれにも出ません。"),
    )
    # Fiscal year (April–March), kept for filtering with an index.
    fiscal_year = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RecordQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("archive:detail", args=[self.slug])

    @property
    def kind_label(self) -> str:
        return str(self._meta.verbose_name)

    def key_day(self) -> dt.date | None:
        raise NotImplementedError

    def clean(self):
        super().clean()
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": _("この URL名 は使えません。別の名前を入力してください。")})
        if self.slug and slug_taken(self.slug, exclude=self):
            raise ValidationError({"slug": _("この URL名 はすでに使われています。別の名前を入力してください。")})

    def save(self, *args, **kwargs):
        self.fiscal_year = fiscal_year_of(self.key_day())
        if not self.slug:
            self.slug = new_record_slug(self.slug_prefix, self.key_day())
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "fiscal_year" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "fiscal_year"]
        super().save(*args, **kwargs)


class ScheduledRecord(ArchiveRecord):
    """A record held on a day (or still undecided): meetings and workshops."""

    status = models.CharField(_("状況"), max_length=20, choices=Status.choices, default=Status.PLANNED)
    # Local (Asia/Tokyo) calendar date; null = undecided. `month` keeps what is known.
    date = models.DateField(_("開催日"), null=True, blank=True, db_index=True)
    month = models.DateField(
        _("開催月（日程未定の場合）"),
        null=True,
        blank=True,
        help_text=_("日程未定で月だけ決まっているときは、その月の1日を入力してください。"),
    )
    start_time = models.TimeField(_("開始時刻"), null=True, blank=True)
    end_time = models.TimeField(_("終了時刻"), null=True, blank=True)
    venue = models.CharField(_("会場"), max_length=200, blank=True)
    format = models.CharField(_("開催形式"), max_length=20, choices=Format.choices, default=Format.IN_PERSON)
    online_url = models.URLField(_("オンライン参加URL"), blank=True, help_text=_("Zoom などの参加用URLです。"))
    note = models.TextField(_("備考"), blank=True)
    report = models.ForeignKey(
        "archive.Report",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="%(class)ss",
        verbose_name=_("報告書"),
    )

    class Meta:
        abstract = True

    def key_day(self) -> dt.date | None:
        return self.date or self.month

    def clean(self):
        super().clean()
        errors = {}
        if self.month and self.month.day != 1:
            self.month = self.month.replace(day=1)
        if self.date and self.month:
            self.month = None
        if self.end_time and not self.start_time:
            errors["start_time"] = _("終了時刻を入れるときは、開始時刻も入力してください。")
        elif self.end_time and self.start_time and self.end_time <= self.start_time:
            errors["end_time"] = _("終了時刻は開始時刻より後にしてください。")
        if self.start_time and not self.date:
            errors["date"] = _("開始時刻を入れるときは、開催日も入力してください。")
        if self.format in (Format.ONLINE, Format.HYBRID) and not self.online_url and self.status == Status.PLANNED:
            errors["online_url"] = _("オンライン・ハイブリッド開催の予定には、参加用URLを入力してください。")
        if errors:
            raise ValidationError(errors)

    @property
    def is_dated(self) -> bool:
        return self.date is not None

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

    @property
    def is_hybrid_or_online(self) -> bool:
        return self.format in (Format.ONLINE, Format.HYBRID)


# The end of every held record's edit form: its files, its report, how it is published.
RECORD_TAIL_PANELS = [
    InlinePanel("documents", heading=_("議事録・資料・録画"), label=_("ファイル")),
    FieldPanel("report"),
    MultiFieldPanel([FieldPanel("slug"), FieldPanel("is_public")], heading=_("公開の設定")),
]

SCHEDULE_PANELS = [
    FieldRowPanel([FieldPanel("status"), FieldPanel("format")]),
    MultiFieldPanel(
        [FieldRowPanel([FieldPanel("date"), FieldPanel("start_time"), FieldPanel("end_time")]), FieldPanel("month")],
        heading=_("日時（Asia/Tokyo）"),
    ),
    FieldPanel("venue"),
    FieldPanel("online_url"),
]


class Meeting(ScheduledRecord):
    kind = "meeting"

    meeting_type = models.ForeignKey(
        MeetingType, null=True, blank=True, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("類型")
    )

    panels = [
        FieldPanel("title"),
        FieldPanel("meeting_type"),
        *SCHEDULE_PANELS,
        FieldRowPanel([FieldPanel("department"), FieldPanel("channel")]),
        FieldPanel("note"),
        *RECORD_TAIL_PANELS,
    ]
    search_fields = [
        index.SearchField("title"),
        index.SearchField("venue"),
        index.SearchField("note"),
        index.FilterField("is_public"),
        index.FilterField("live"),
    ]

    class Meta:
        ordering = [models.F("date").desc(nulls_last=True), "-start_time", "id"]
        verbose_name = _("会議・イベント")
        verbose_name_plural = _("会議・イベント")
        indexes = [models.Index(fields=["is_public", "status", "fiscal_year"])]


class Workshop(ScheduledRecord):
    """A participatory workshop (ワークショップ) or symposium the city ran or will run."""

    kind = "workshop"
    slug_prefix = "ws-"

    theme = models.CharField(_("テーマ"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("定員"), null=True, blank=True)
    participants = models.PositiveIntegerField(_("参加者数"), null=True, blank=True)
    facilitator = models.CharField(_("進行"), max_length=200, blank=True)
    outcome = models.TextField(_("成果・出された意見"), blank=True)

    panels = [
        FieldPanel("title"),
        FieldPanel("theme"),
        *SCHEDULE_PANELS,
        FieldRowPanel([FieldPanel("capacity"), FieldPanel("participants")]),
        FieldPanel("facilitator"),
        FieldRowPanel([FieldPanel("department"), FieldPanel("channel")]),
        FieldPanel("outcome"),
        FieldPanel("note"),
        *RECORD_TAIL_PANELS,
    ]
    search_fields = [
        index.SearchField("title"),
        index.SearchField("theme"),
        index.SearchField("outcome"),
        index.FilterField("is_public"),
        index.FilterField("live"),
    ]

    class Meta:
        ordering = [models.F("date").desc(nulls_last=True), "-start_time", "id"]
        verbose_name = _("ワークショップ")
        verbose_name_plural = _("ワークショップ")
        indexes = [models.Index(fields=["is_public", "status", "fiscal_year"], name="archive_ws_public_idx")]


class Report(ArchiveRecord):
    """A report (報告書) on what was held; meetings and workshops point at it."""

    kind = "report"
    slug_prefix = "report-"

    published_on = models.DateField(_("発行日"), null=True, blank=True, db_index=True)
    summary = models.TextField(_("概要"), blank=True)

    panels = [
        FieldPanel("title"),
        FieldPanel("published_on"),
        FieldRowPanel([FieldPanel("department"), FieldPanel("channel")]),
        FieldPanel("summary"),
        InlinePanel("documents", heading=_("報告書のファイル"), label=_("ファイル")),
        MultiFieldPanel([FieldPanel("slug"), FieldPanel("is_public")], heading=_("公開の設定")),
    ]
    search_fields = [
        index.SearchField("title"),
        index.SearchField("summary"),
        index.FilterField("is_public"),
        index.FilterField("live"),
    ]

    class Meta:
        ordering = [models.F("published_on").desc(nulls_last=True), "-id"]
        verbose_name = _("報告書")
        verbose_name_plural = _("報告書")

    def key_day(self) -> dt.date | None:
        return self.published_on


class DocumentKind(models.TextChoices):
    MINUTES = "minutes", _("議事録")
    MATERIALS = "materials", _("資料")
    RECORDING = "recording", _("録画")
    REPORT = "report", _("報告書")


class RecordDocument(Orderable):
    """A file (Wagtail document) or a link (e.g. a recording on a video site) attached to a record."""

    kind = models.CharField(_("種類"), max_length=20, choices=DocumentKind.choices, default=DocumentKind.MATERIALS)
    title = models.CharField(_("表示名"), max_length=200, blank=True, help_text=_("空欄ならファイル名を表示します。"))
    document = models.ForeignKey(
        "wagtaildocs.Document",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("ファイル"),
    )
    url = models.URLField(
        _("リンク"),
        blank=True,
        help_text=_("録画を動画サイトで公開しているときなど、ファイルの代わりにURLを入力できます。"),
    )

    panels = [
        FieldRowPanel([FieldPanel("kind"), FieldPanel("title")]),
        FieldPanel("document"),
        FieldPanel("url"),
    ]

    class Meta(Orderable.Meta):
        abstract = True

    def clean(self):
        super().clean()
        if not self.document_id and not self.url:
            raise ValidationError(_("ファイルを選ぶか、リンクを入力してください。"))

    @property
    def label(self) -> str:
        if self.title:
            return self.title
        return self.document.title if self.document_id else self.url

    @property
    def href(self) -> str:
        return self.document.url if self.document_id else self.url


class MeetingDocument(RecordDocument):
    meeting = ParentalKey(Meeting, on_delete=models.CASCADE, related_name="documents")


class WorkshopDocument(RecordDocument):
    workshop = ParentalKey(Workshop, on_delete=models.CASCADE, related_name="documents")


class ReportDocument(RecordDocument):
    report = ParentalKey(Report, on_delete=models.CASCADE, related_name="documents")


RECORD_MODELS: tuple[type[ArchiveRecord], ...] = (Meeting, Workshop, Report)


def slug_taken(slug: str, exclude: ArchiveRecord | None = None) -> bool:
    """Slugs are unique across all record kinds: /archive/<slug>/ names exactly one record."""
    for model in RECORD_MODELS:
        qs = model.objects.filter(slug=slug)
        if exclude is not None and isinstance(exclude, model) and exclude.pk:
            qs = qs.exclude(pk=exclude.pk)
        if qs.exists():
            return True
    return False


def new_record_slug(prefix: str, day: dt.date | None) -> str:
    stem = day.strftime("%Y%m%d") if day else "tbd"
    while True:
        slug = f"{prefix}{stem}-{secrets.token_hex(3)}"
        if not slug_taken(slug):
            return slug
