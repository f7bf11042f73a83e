"""RSS and Atom for an official section (e.g. /news/feed/): live, public pages only."""

from django.contrib.syndication.views import Feed
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from wagtail.models import Page

OFFICIAL_MARK = "熊谷市の公式情報"
FEED_SIZE = 30


class SectionRssFeed(Feed):
    def get_object(self, request, section):
        self.request = request
        return section

    def title(self, section):
        return f"{_('熊谷市の公式情報')}｜{section.title}"

    def link(self, section):
        return section.get_url(self.request)

    def description(self, section):
        return _("熊谷市の公式情報です。市が責任を持って発信する内容をお知らせします。")

    def items(self, section):
        pages = (
            Page.objects.live()
            .public()
            .descendant_of(section)
            .specific()
            .order_by("-first_published_at", "-id")[:FEED_SIZE]
        )
        # select_related cannot cross .specific(); departments are few: one extra query.
        pages = list(pages)
        from kumagaya_portal.accounts.models import Department

        ids = {getattr(p, "department_id", None) for p in pages} - {None}
        departments = Department.objects.in_bulk(ids) if ids else {}
        for p in pages:
            p.department_name = departments[p.department_id].name_ja if getattr(p, "department_id", None) else ""
        return pages

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        summary = getattr(item, "summary", "") or item.search_description
        return f"{OFFICIAL_MARK}\n{summary}".strip()

    def item_link(self, item):
        return item.get_url(self.request)

    def item_guid(self, item):
        return f"page-{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return timezone.localtime(item.first_published_at) if item.first_published_at else None

    def item_updateddate(self, item):
        return timezone.localtime(item.last_published_at) if item.last_published_at else None

    def item_categories(self, item):
        return [OFFICIAL_MARK, str(item._meta.verbose_name)]

    def item_author_name(self, item):
        return item.department_name or _("熊谷市")


class SectionAtomFeed(SectionRssFeed):
    feed_type = Atom1Feed

    def subtitle(self, section):
        return self.description(section)
