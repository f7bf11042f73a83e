"""The search query: n-gram containment, verified on the folded text, filtered live by permission.

The index is never trusted for access: every row is joined to its live page,
record, thread and post, and posts only count when published, not deleted, in a
published thread of a channel the viewer may see (channels.permissions).

Official information (pages, then archive records) comes first, then posts,
newest first. Posts are read by walking the (kind_order, date, id) index, so a
common word such as 市民 costs no more than a rare one; there is no total count
(counting every match of a common word is what makes searches slow), only
"next page" — up to MAX_PAGES pages.
"""

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q, QuerySet

from .models import SearchDocument
from .text import query_grams, query_terms

Kind = SearchDocument.Kind
PER_PAGE = 20
MAX_PAGES = 50
OFFICIAL = (0, 1)  # kind_order of pages and archive records
POSTS = 2


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


@dataclass
class ResultPage:
    number: int
    documents: list = field(default_factory=list)
    has_next: bool = False

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * PER_PAGE + 1 if self.documents else 0

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.documents) - 1 if self.documents else 0

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def _matching(query: SearchQuery) -> QuerySet[SearchDocument]:
    qs = SearchDocument.objects.filter(grams__has_all=query_grams(query.terms))
    for term in query.terms:
        qs = qs.filter(norm__contains=term)
    return qs


def _official_visible() -> Q:
    from wagtail.models import PageViewRestriction

    restricted = Q()
    for path in PageViewRestriction.objects.values_list("page__path", flat=True):
        restricted |= Q(page__path__startswith=path)
    pages = Q(kind_order=0, page__live=True)
    if restricted:
        pages &= ~restricted
    records = Q(kind_order=1) & (
        Q(meeting__is_public=True, meeting__live=True)
        | Q(workshop__is_public=True, workshop__live=True)
        | Q(report__is_public=True, report__live=True)
    )
    return pages | records


def _posts_visible(user) -> Q:
    from channels.models import Visibility
    from channels.permissions import visible_channels

    return (
        Q(kind_order=POSTS, thread__visibility=Visibility.PUBLISHED)
        & Q(thread__channel_id__in=visible_channels(user).values("pk"))
        & (Q(post__isnull=True) | Q(post__visibility=Visibility.PUBLISHED, post__is_deleted_by_author=False))
    )


def official_ids(query: SearchQuery, limit: int, offset: int = 0) -> list[int]:
    qs = _matching(query).filter(kind_order__in=OFFICIAL)
    if query.kind:
        qs = qs.filter(kind=query.kind)
    qs = qs.filter(_official_visible()).order_by("kind_order", "-date", "-id")
    return list(qs.values_list("id", flat=True)[offset : offset + limit])


def post_ids(user, query: SearchQuery, limit: int, offset: int = 0) -> list[int]:
    if connection.vendor == "postgresql":
        ids = _recent_post_ids_postgres(user, query, limit, offset)
        if len(ids) == limit:
            return ids
    qs = _matching(query).filter(_posts_visible(user)).order_by("-date", "-id")
    return list(qs.values_list("id", flat=True)[offset : offset + limit])


RECENT_WINDOW = 4000


def _recent_post_ids_postgres(user, query: SearchQuery, limit: int, offset: int) -> list[int]:
    """A common word (市民, 交通) matches a large share of all posts: PostgreSQL's estimate for
    `grams @> {bigrams}` multiplies the bigrams' frequencies as if independent, so it would
    collect every match through the GIN index and sort them. Look among the newest posts
    first (a walk of the date index, fenced by a MATERIALIZED CTE); only when they hold too
    few matches does the caller run the full query, whose matches are then few."""
    from channels.models import Visibility
    from channels.permissions import visible_channels

    channels_sql, channels_params = visible_channels(user).values("pk").query.sql_with_params()
    likes = " ".join("AND r.norm LIKE %s" for _ in query.terms)
    sql = f"""
        WITH recent AS MATERIALIZED (
            SELECT id, date, grams, norm, thread_id, post_id FROM portal_search_searchdocument
            WHERE kind_order = %s ORDER BY date DESC, id DESC LIMIT %s
        )
        SELECT r.id FROM recent r
        JOIN channels_thread t ON t.id = r.thread_id
        LEFT JOIN channels_post p ON p.id = r.post_id
        WHERE r.grams @> %s::text[] {likes}
          AND t.visibility = %s AND t.channel_id IN ({channels_sql})
          AND (r.post_id IS NULL OR (p.visibility = %s AND NOT p.is_deleted_by_author))
        ORDER BY r.date DESC, r.id DESC LIMIT %s OFFSET %s
    """  # noqa: S608 - only placeholders and ORM-compiled SQL are interpolated
    params = [
        POSTS,
        RECENT_WINDOW,
        query_grams(query.terms),
        *[f"%{connection.ops.prep_for_like_query(t)}%" for t in query.terms],
        Visibility.PUBLISHED,
        *channels_params,
        Visibility.PUBLISHED,
        limit,
        offset,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def hydrate(ids: list[int]) -> list[SearchDocument]:
    if not ids:
        return []
    docs = (
        SearchDocument.objects.filter(id__in=ids)
        .select_related("page", "meeting", "workshop", "report", "thread__channel", "post__author__department")
        .defer("norm", "grams", "post__body_html")
        .in_bulk()
    )
    return [docs[i] for i in ids if i in docs]


def search_page(user, query: SearchQuery, number: int = 1) -> ResultPage:
    """One page of results in a fixed number of queries: official ids, post ids, then the rows."""
    number = max(1, min(number, MAX_PAGES))
    page = ResultPage(number=number)
    if not query.terms:
        return page
    want = PER_PAGE + 1  # one more than shown tells whether a next page exists
    offset = (number - 1) * PER_PAGE
    ids: list[int] = []
    official_total = 0
    if query.kind in ("", Kind.PAGE, Kind.ARCHIVE):
        # Official matches are few (the city's pages and records): read up to the end of this page.
        found = official_ids(query, limit=offset + want)
        official_total = len(found)
        ids = found[offset:]
    if query.kind in ("", Kind.POST) and len(ids) < want:
        post_offset = max(0, offset - official_total)
        ids += post_ids(user, query, limit=want - len(ids), offset=post_offset)
    page.has_next = len(ids) > PER_PAGE and number < MAX_PAGES
    page.documents = hydrate(ids[:PER_PAGE])
    return page


def search_documents(user, query: SearchQuery) -> list[SearchDocument]:
    """Every visible match up to MAX_PAGES pages (for tests and tools; pages use search_page)."""
    if not query.terms:
        return []
    limit = PER_PAGE * MAX_PAGES
    ids = official_ids(query, limit) if query.kind in ("", Kind.PAGE, Kind.ARCHIVE) else []
    if query.kind in ("", Kind.POST):
        ids += post_ids(user, query, limit - len(ids))
    return hydrate(ids)
