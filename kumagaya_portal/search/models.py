"""One search index over official pages, archive records, threads and posts.

A row holds the folded text (`norm`) and its character n-grams (`grams`).
Rows are written on save/publish (signals.py) but never trusted for access:
selectors.py joins every row to the live page, record, thread and post and
applies the viewer's permissions at query time.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .fields import GramsField


class SearchDocument(models.Model):
    class Kind(models.TextChoices):
        PAGE = "page", _("公式情報")
        ARCHIVE = "archive", _("アーカイブ")
        POST = "post", _("Webコモンスペースの投稿")

    KIND_ORDER = {Kind.PAGE: 0, Kind.ARCHIVE: 1, Kind.POST: 2}

    kind = models.CharField(max_length=10, choices=Kind.choices)
    kind_order = models.PositiveSmallIntegerField(default=0)
    page = models.OneToOneField("wagtailcore.Page", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    meeting = models.OneToOneField("archive.Meeting", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    workshop = models.OneToOneField(
        "archive.Workshop", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    report = models.OneToOneField("archive.Report", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # Thread documents (the title) have thread set and post empty; post documents have both.
    thread = models.ForeignKey("channels.Thread", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    post = models.OneToOneField("channels.Post", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)  # display text for pages and records; posts show their live body
    norm = models.TextField(blank=True)  # folded title + body: the text a match is verified against
    grams = GramsField(default=list)
    date = models.DateTimeField(null=True, blank=True)
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("検索の索引")
        verbose_name_plural = _("検索の索引")
        constraints = [
            models.UniqueConstraint(
                fields=["thread"], condition=models.Q(post__isnull=True), name="one_search_doc_per_thread"
            )
        ]
        indexes = [models.Index(fields=["kind_order", "-date", "-id"], name="search_doc_order_idx")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"
