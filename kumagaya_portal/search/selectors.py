"""The search query: n-gram containment, verified on the folded text, filtered live by permission.

The index is never trusted for access: every row is joined to its live page,
record, thread and post, and posts only count when published, not deleted, in a
published thread of a channel the viewer may see (channels.permissions).
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from .models import SearchDocument
from .text import query_grams, query_terms

Kind = SearchDocument.Kind
MAX_RESULTS = 1000  # counting stops here: "1,000件以上"


@dataclass
class SearchQuery:
    q: str
    terms: list[str]
    kind: str

    @classmethod
    def from_params(cls, params) -> "SearchQuery":
        q = (params.get("q") or "").strip()[:200]
        kind = params.get("kind") or ""
        return cls(q=q, terms=query_terms(q), kind=kind if kind in Kind.values else "")


def _visible(user) -> Q:
    from wagtail.models import PageViewRestriction

    from channels.models import Visibility
    from channels.permissions import visible_channels

    restricted = Q()
    for path in PageViewRestriction.objects.values_list("page__path", flat=True):
        restricted |= Q(page__path__startswith=path)
    pages = Q(kind=Kind.PAGE, page__live=True)
    if restricted:
        pages &= ~restricted
    records = Q(kind=Kind.ARCHIVE) & (
        Q(meeting__is_public=True, meeting__live=True)
        | Q(workshop__is_public=True, workshop__live=True)
        | Q(report__is_public=True, report__live=True)
    )
    posts = (
        Q(kind=Kind.POST, thread__visibility=Visibility.PUBLISHED)
        & Q(thread__channel_id__in=visible_channels(user).values("pk"))
        & (Q(post__isnull=True) | Q(post__visibility=Visibility.PUBLISHED, post__is_deleted_by_author=False))
    )
    return pages | records | posts


def search_documents(user, query: SearchQuery) -> QuerySet[SearchDocument]:
    if not query.terms:
        return SearchDocument.objects.none()
    qs = SearchDocument.objects.filter(grams__has_all=query_grams(query.terms))
    for term in query.terms:
        qs = qs.filter(norm__contains=term)
    if query.kind:
        qs = qs.filter(kind=query.kind)
    return (
        qs.filter(_visible(user))
        .select_related(
            "page",
            "meeting",
            "workshop",
            "report",
            "thread__channel",
            "post__author__department",
        )
        .defer("norm", "grams", "post__body_html")
        .order_by("kind_order", "-date", "-id")
    )
