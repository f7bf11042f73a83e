"""RSS and Atom for the archive: public, published records only."""

import datetime as dt

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from .models import TOKYO
from .selectors import feed_records
from .templatetags.archive_tags import meeting_when

OFFICIAL_MARK = "熊谷市の公式情報"


class ArchiveRssFeed(Feed):
    def title(self):
        return f"{_('熊谷市の公式情報')}｜{_('会議・イベントのアーカイブ')}"

    def description(self):
        return _("熊谷市の公式情報です。会議・ワークショップの開催記録と予定、報告書をお知らせします。")

    def link(self):
        return reverse("archive:index")

    def items(self):
        return feed_records()

    def item_title(self, item):
        if item.kind == "report":
            return f"【{item.kind_label}】{item.title}"
        return f"【{item.kind_label}】{item.title}（{meeting_when(item)}）"

    def item_description(self, item):
        parts = [OFFICIAL_MARK]
        if item.kind != "report":
            parts.append(f"{_('日時')}: {meeting_when(item)}")
            if item.venue:
                parts.append(f"{_('会場')}: {item.venue}")
            parts.append(f"{_('状況')}: {item.get_status_display()}")
        elif item.summary:
            parts.append(item.summary)
        if item.department_id:
            parts.append(f"{_('担当課')}: {item.department.name_ja}")
        return "\n".join(parts)

    def item_link(self, item):
        return item.get_absolute_url()

    def item_guid(self, item):
        return f"{item.kind}-{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        """When it happens (Asia/Tokyo): a 00:30 meeting is dated its own day (+0900)."""
        if getattr(item, "date", None):
            return dt.datetime.combine(item.date, item.start_time or dt.time(0, 0), tzinfo=TOKYO)
        if item.kind == "report" and item.published_on:
            return dt.datetime.combine(item.published_on, dt.time(0, 0), tzinfo=TOKYO)
        return (item.first_published_at or item.updated_at).astimezone(TOKYO)

    def item_updateddate(self, item):
        return (item.last_published_at or item.updated_at).astimezone(TOKYO)

    def item_categories(self, item):
        return [OFFICIAL_MARK, str(item.kind_label)]

    def item_author_name(self, item):
        return item.department.name_ja if item.department_id else _("熊谷市")


class ArchiveAtomFeed(ArchiveRssFeed):
    feed_type = Atom1Feed

    def subtitle(self):
        return self.description()
