"""Wagtail page types of the official range (range 【1】).

bakerydemo style: fields, then panels, then search fields, top-down. Every
official page names its responsible department (担当課) and shows when it was
last updated; bodies use the one block library in cms/blocks.py.
"""

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from archive.models import Format

from .blocks import SCOPE_ORDER, BodyBlock, LinkGroupBlock, ToolBlock
from .slugs import base_slug, is_ascii_slug, unique_child_slug

NEWS_PER_PAGE = 20


class OfficialPageForm(WagtailAdminPageForm):
    """The slug may be left empty: a Japanese title gets an ASCII slug (cms.slugs)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = _(
                "URLに使う半角英数字です。空欄にすると自動で作ります（例：news-20241001）。"
            )

    def clean(self):
        cleaned = super().clean()
        slug = cleaned.get("slug") or ""
        if not is_ascii_slug(slug) and self.parent_page is not None:
            title = cleaned.get("title") or self.instance.title
            prefix = getattr(self.instance, "slug_prefix", "page")
            cleaned["slug"] = unique_child_slug(base_slug(title, prefix), self.parent_page, self.instance)
            self.errors.pop("slug", None)
        return cleaned


class OfficialPageMixin:
    """ASCII slugs for pages created in code (loader, tests) as well as in the admin."""

    slug_prefix = "page"
    base_form_class = OfficialPageForm

    def _set_core_field_defaults(self):
        parent = getattr(self, "_cached_parent_obj", None) or (self.get_parent() if self.path else None)
        if not is_ascii_slug(self.slug) and parent is not None:
            self.slug = unique_child_slug(base_slug(self.title, self.slug_prefix), parent, self)
        super()._set_core_field_defaults()

    @property
    def last_updated(self):
        return self.last_published_at or self.latest_revision_created_at or self.first_published_at


def department_field():
    return models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=False,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("担当課"),
        help_text=_("このページの内容に責任を持つ課です。"),
    )


def attach_departments(pages: list) -> list:
    """Specific pages of mixed types cannot select_related their department: fetch all in one query."""
    from kumagaya_portal.accounts.models import Department

    ids = {getattr(p, "department_id", None) for p in pages} - {None}
    found = Department.objects.in_bulk(ids) if ids else {}
    for p in pages:
        if getattr(p, "department_id", None):
            p.department = found[p.department_id]
    return pages


class BaseOfficialPage(OfficialPageMixin, Page):
    """Abstract base: department, summary and the shared body."""

    department = department_field()
    summary = models.TextField(
        _("概要"), blank=True, max_length=400, help_text=_("一覧・検索結果・フィードに表示する短い説明です。")
    )
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("本文"))

    content_panels = Page.content_panels + [FieldPanel("department"), FieldPanel("summary"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("summary"), index.SearchField("body")]
    parent_page_types = ["cms.SectionPage"]
    subpage_types: list[str] = []

    class Meta:
        abstract = True


# ------------------------------------------------------------------ home
class HomePage(OfficialPageMixin, Page):
    """The index site: the official sections, latest news, upcoming meetings and the entry to the space."""

    intro = RichTextField(_("はじめに"), blank=True)
    department = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("担当課"),
    )

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("department")]
    search_fields = Page.search_fields + [index.SearchField("intro")]
    subpage_types = ["cms.SectionPage"]
    max_count = 1

    class Meta:
        verbose_name = _("トップページ")

    def get_context(self, request, *args, **kwargs):
        from archive.selectors import upcoming_records

        context = super().get_context(request, *args, **kwargs)
        context["sections"] = self.get_children().live().public().specific().order_by("path")
        context["latest_news"] = (
            NewsPage.objects.live()
            .public()
            .descendant_of(self)
            .select_related("department")
            .order_by("-date", "-first_published_at")[:5]
        )
        context["upcoming"] = upcoming_records(limit=5)
        context["news_section"] = SectionPage.objects.child_of(self).filter(section_key="news").live().first()
        return context


# -------------------------------------------------------------- sections
class SectionPage(OfficialPageMixin, RoutablePageMixin, Page):
    """One of the official sections from the data file; lists its pages and offers feeds."""

    section_key = models.SlugField(_("区分"), max_length=40, blank=True)
    name_en = models.CharField(_("英語名"), max_length=200, blank=True)
    intro = RichTextField(_("はじめに"), blank=True)
    department = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("担当課"),
    )

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("department")]
    search_fields = Page.search_fields + [index.SearchField("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = [
        "cms.NewsPage",
        "cms.PolicyPage",
        "cms.RelatedLinksPage",
        "cms.EventPage",
        "cms.ReportPage",
        "cms.SystemsGuidePage",
    ]
    slug_prefix = "section"

    class Meta:
        verbose_name = _("区分ページ")

    def child_pages(self):
        # Newest first: news by date, the rest by publication.
        return self.get_children().live().public().specific().order_by("-first_published_at", "-id")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        page_obj = Paginator(self.child_pages(), NEWS_PER_PAGE).get_page(request.GET.get("page"))
        page_obj.object_list = attach_departments(list(page_obj.object_list))
        context["page_obj"] = page_obj
        return context

    @path("")
    def index_route(self, request):
        return self.render(request)

    @path("feed/")
    def rss_feed(self, request):
        from .feeds import SectionRssFeed

        return SectionRssFeed()(request, section=self)

    @path("feed/atom/")
    def atom_feed(self, request):
        from .feeds import SectionAtomFeed

        return SectionAtomFeed()(request, section=self)


# ------------------------------------------------------------------ news
class NewsPage(BaseOfficialPage):
    date = models.DateField(_("日付"), default=timezone.localdate)

    content_panels = Page.content_panels + [
        FieldRowPanel([FieldPanel("date"), FieldPanel("department")]),
        FieldPanel("summary"),
        FieldPanel("body"),
    ]
    search_fields = BaseOfficialPage.search_fields + [index.FilterField("date")]
    slug_prefix = "news"

    class Meta:
        verbose_name = _("新着情報")
        verbose_name_plural = _("新着情報")


# ------------------------------------------------------------- documents
class PageDocument(Orderable):
    document = models.ForeignKey(
        "wagtaildocs.Document", on_delete=models.CASCADE, related_name="+", verbose_name=_("ファイル")
    )
    title = models.CharField(_("表示名"), max_length=200, blank=True, help_text=_("空欄ならファイル名を表示します。"))

    panels = [FieldPanel("document"), FieldPanel("title")]

    class Meta(Orderable.Meta):
        abstract = True

    @property
    def label(self) -> str:
        return self.title or self.document.title


class DocumentsMixin:
    def document_links(self):
        """The page's documents with their files, in one query."""
        return self.documents.select_related("document")


class PolicyPage(DocumentsMixin, BaseOfficialPage):
    """A vision or policy behind the initiatives, with its documents."""

    adopted_on = models.DateField(_("策定日"), null=True, blank=True)

    content_panels = Page.content_panels + [
        FieldRowPanel([FieldPanel("adopted_on"), FieldPanel("department")]),
        FieldPanel("summary"),
        FieldPanel("body"),
        InlinePanel("documents", heading=_("関連資料"), label=_("ファイル")),
    ]
    slug_prefix = "policy"

    class Meta:
        verbose_name = _("ビジョン・方針")
        verbose_name_plural = _("ビジョン・方針")


class PolicyPageDocument(PageDocument):
    page = ParentalKey(PolicyPage, on_delete=models.CASCADE, related_name="documents")


# --------------------------------------------------------- related links
class RelatedLinksPage(BaseOfficialPage):
    """Links to other departments' initiatives, grouped; the city-wide picture comes first."""

    groups = StreamField([("group", LinkGroupBlock())], blank=True, verbose_name=_("リンクのグループ"))

    content_panels = Page.content_panels + [
        FieldPanel("department"),
        FieldPanel("summary"),
        FieldPanel("groups"),
        FieldPanel("body"),
    ]
    search_fields = BaseOfficialPage.search_fields + [index.SearchField("groups")]
    slug_prefix = "links"

    class Meta:
        verbose_name = _("関連情報")
        verbose_name_plural = _("関連情報")

    def ordered_groups(self):
        """City-wide groups first, then department groups, then external; editor order within each."""
        indexed = list(enumerate(self.groups))
        indexed.sort(key=lambda pair: (SCOPE_ORDER.get(pair[1].value.get("scope"), 9), pair[0]))
        return [block for _i, block in indexed]


# ----------------------------------------------------------------- events
class EventPage(BaseOfficialPage):
    """A call to a workshop or symposium: when, where, how to take part."""

    date = models.DateField(_("開催日"))
    start_time = models.TimeField(_("開始時刻"), null=True, blank=True)
    end_time = models.TimeField(_("終了時刻"), null=True, blank=True)
    venue = models.CharField(_("会場"), max_length=200, blank=True)
    format = models.CharField(_("開催形式"), max_length=20, choices=Format.choices, default=Format.IN_PERSON)
    online_url = models.URLField(_("オンライン参加URL"), blank=True, help_text=_("Zoom などの参加用URLです。"))
    capacity = models.PositiveIntegerField(_("定員"), null=True, blank=True)
    deadline = models.DateField(_("申込締切"), null=True, blank=True)
    how_to_apply = RichTextField(
        _("申込方法"),
        blank=True,
        features=["bold", "link", "ol", "ul"],
        help_text=_("電話・メールなど、Web以外の申込方法も書いてください。"),
    )
    meeting = models.ForeignKey(
        "archive.Meeting",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="event_pages",
        verbose_name=_("アーカイブの記録（会議・イベント）"),
    )
    workshop = models.ForeignKey(
        "archive.Workshop",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="event_pages",
        verbose_name=_("アーカイブの記録（ワークショップ）"),
    )

    content_panels = Page.content_panels + [
        FieldPanel("department"),
        FieldPanel("summary"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("date"), FieldPanel("start_time"), FieldPanel("end_time")]),
                FieldRowPanel([FieldPanel("format"), FieldPanel("venue")]),
                FieldPanel("online_url"),
            ],
            heading=_("日時と会場"),
        ),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("capacity"), FieldPanel("deadline")]), FieldPanel("how_to_apply")],
            heading=_("申込み"),
        ),
        FieldPanel("body"),
        MultiFieldPanel([FieldPanel("meeting"), FieldPanel("workshop")], heading=_("アーカイブの記録")),
    ]
    search_fields = BaseOfficialPage.search_fields + [index.SearchField("venue"), index.FilterField("date")]
    slug_prefix = "event"

    class Meta:
        verbose_name = _("WS・シンポジウムの募集")
        verbose_name_plural = _("WS・シンポジウムの募集")

    def clean(self):
        super().clean()
        errors = {}
        if self.format in (Format.ONLINE, Format.HYBRID) and not self.online_url:
            errors["online_url"] = _("オンライン・ハイブリッド開催では、参加用URLを入力してください。")
        if self.end_time and self.start_time and self.end_time <= self.start_time:
            errors["end_time"] = _("終了時刻は開始時刻より後にしてください。")
        if self.deadline and self.date and self.deadline > self.date:
            errors["deadline"] = _("申込締切は開催日より前の日にしてください。")
        if self.meeting_id and self.workshop_id:
            errors["workshop"] = _("アーカイブの記録は、会議・イベントかワークショップのどちらか一つを選んでください。")
        if errors:
            raise ValidationError(errors)

    @property
    def record(self):
        return self.meeting or self.workshop

    @property
    def is_open_for_applications(self) -> bool:
        return self.deadline is None or self.deadline >= timezone.localdate()


# ---------------------------------------------------------------- reports
class ReportPage(DocumentsMixin, BaseOfficialPage):
    """A report with its documents, and the published summaries of the discussions it draws on."""

    report = models.ForeignKey(
        "archive.Report",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pages",
        verbose_name=_("アーカイブの報告書"),
    )

    content_panels = Page.content_panels + [
        FieldPanel("department"),
        FieldPanel("summary"),
        FieldPanel("body"),
        InlinePanel("documents", heading=_("報告書のファイル"), label=_("ファイル")),
        FieldPanel("report"),
        InlinePanel(
            "summary_threads",
            heading=_("議論のまとめ"),
            label=_("トピック"),
            help_text=_("まとめが公開されているトピックだけを選べます。"),
        ),
    ]
    slug_prefix = "report"

    class Meta:
        verbose_name = _("報告書")
        verbose_name_plural = _("報告書")

    def get_context(self, request, *args, **kwargs):
        from channels.models import Visibility
        from channels.permissions import visible_channels

        context = super().get_context(request, *args, **kwargs)
        links = [
            link
            for link in self.summary_threads.select_related("thread__channel")
            if link.thread.summary_published and link.thread.visibility == Visibility.PUBLISHED
        ]
        channel_ids = {link.thread.channel_id for link in links}
        visible = set(visible_channels(request.user).filter(pk__in=channel_ids).values_list("pk", flat=True))
        context["summaries"] = [(link.thread, link.thread.channel_id in visible) for link in links]
        return context


class ReportPageDocument(PageDocument):
    page = ParentalKey(ReportPage, on_delete=models.CASCADE, related_name="documents")


class ReportPageThread(Orderable):
    """A thread whose published summary the report links to."""

    page = ParentalKey(ReportPage, on_delete=models.CASCADE, related_name="summary_threads")
    thread = models.ForeignKey(
        "channels.Thread", on_delete=models.CASCADE, related_name="+", verbose_name=_("トピック")
    )

    panels = [FieldPanel("thread")]

    class Meta(Orderable.Meta):
        verbose_name = _("議論のまとめ")

    def clean(self):
        super().clean()
        if self.thread_id and not self.thread.summary_published:
            raise ValidationError(
                {"thread": _("このトピックのまとめはまだ公開されていません。先にまとめを公開してください。")}
            )


# ---------------------------------------------------------- systems guide
class SystemsGuidePage(BaseOfficialPage):
    """How the Web Common Space, ツノルバ (Decidim), the Web GIS, the Slack Cloud Lab and LINE relate."""

    tools = StreamField([("tool", ToolBlock())], blank=True, verbose_name=_("システム"))

    content_panels = Page.content_panels + [
        FieldPanel("department"),
        FieldPanel("summary"),
        FieldPanel("body"),
        FieldPanel("tools"),
    ]
    search_fields = BaseOfficialPage.search_fields + [index.SearchField("tools")]
    slug_prefix = "guide"

    class Meta:
        verbose_name = _("システムの関係の解説")
        verbose_name_plural = _("システムの関係の解説")


OFFICIAL_PAGE_MODELS = (NewsPage, PolicyPage, RelatedLinksPage, EventPage, ReportPage, SystemsGuidePage)
