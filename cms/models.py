"""Wagtail page types of the official range (range 【1】)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index


class HomePage(Page):
    """The index site: the official sections and the entry to the Web Common Space."""

    intro = RichTextField(_("はじめに"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types = ["cms.SectionPage"]
    max_count = 1

    class Meta:
        verbose_name = _("トップページ")


class SectionPage(Page):
    """One of the official sections from the data file."""

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

    class Meta:
        verbose_name = _("区分ページ")
