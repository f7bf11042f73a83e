"""Writes SearchDocument rows. Called from signals (save, publish, unpublish) and rebuild_search_index.

Other apps that change a post's or thread's text with QuerySet.update() (which
sends no signal) should call `reindex_post(post_id)` / `reindex_thread(thread_id)`.
Visibility changes need no reindexing: search checks it live at query time.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.html import strip_tags

from .models import SearchDocument
from .text import document_grams, fold

Kind = SearchDocument.Kind
MAX_BODY = 20000
GIN_INDEX_SQL = "CREATE INDEX IF NOT EXISTS search_doc_grams_gin ON portal_search_searchdocument USING gin (grams)"


def _doc_values(kind: str, title: str, body: str, date, keep_body: bool = True) -> dict:
    body = (body or "")[:MAX_BODY]
    norm = fold(f"{title}\n{body}")
    return {
        "kind": kind,
        "kind_order": SearchDocument.KIND_ORDER[kind],
        "title": (title or "")[:300],
        "body": body if keep_body else "",
        "norm": norm,
        "grams": document_grams(norm),
        "date": date,
    }


# ------------------------------------------------------------------ pages
def page_text(page) -> str:
    """The text of a page's search fields (bakerydemo-style `search_fields`), StreamFields included."""
    from wagtail.search import index

    parts = []
    for field in page.get_search_fields():
        if not isinstance(field, index.SearchField) or field.field_name == "title":
            continue
        value = getattr(page, field.field_name, None)
        if value is None or callable(value):
            continue
        try:
            model_field = page._meta.get_field(field.field_name)
        except Exception:  # noqa: BLE001 - a search field may name a method or property
            model_field = None
        if model_field is not None and hasattr(model_field, "get_searchable_content"):
            parts.extend(str(s) for s in model_field.get_searchable_content(value))
        else:
            parts.append(strip_tags(str(value)))
    return "\n".join(p for p in parts if p)


def index_page(page) -> None:
    from wagtail.models import PageViewRestriction

    page = page.specific
    if not page.live or page.depth <= 1:
        remove_page(page.pk)
        return
    restricted = PageViewRestriction.objects.filter(
        page__path__in=[page.path[: i * page.steplen] for i in range(1, page.depth + 1)]
    ).exists()
    if restricted:
        remove_page(page.pk)
        return
    body = "\n".join(p for p in (page.search_description, page_text(page)) if p)
    date = getattr(page, "date", None)
    when = (
        dt.datetime.combine(date, dt.time(0, 0), tzinfo=timezone.get_current_timezone())
        if isinstance(date, dt.date)
        else page.last_published_at or page.first_published_at
    )
    SearchDocument.objects.update_or_create(page_id=page.pk, defaults=_doc_values(Kind.PAGE, page.title, body, when))


def remove_page(page_id: int) -> None:
    SearchDocument.objects.filter(page_id=page_id).delete()


# ---------------------------------------------------------------- archive
def record_text(record) -> str:
    from archive.templatetags.archive_tags import meeting_when

    parts = []
    if record.kind != "report":
        parts.append(meeting_when(record))
        if record.kind == "meeting" and record.meeting_type_id:
            parts.append(record.meeting_type.name_ja)
        parts += [record.venue, record.note]
        if record.kind == "workshop":
            parts += [record.theme, record.facilitator, record.outcome]
    else:
        parts.append(record.summary)
    if record.department_id:
        parts.append(record.department.name_ja)
    return "\n".join(p for p in parts if p)


def index_record(record) -> None:
    day = getattr(record, "date", None) or getattr(record, "month", None) or getattr(record, "published_on", None)
    when = (
        dt.datetime.combine(
            day, getattr(record, "start_time", None) or dt.time(0, 0), tzinfo=timezone.get_current_timezone()
        )
        if day
        else record.updated_at
    )
    SearchDocument.objects.update_or_create(
        **{f"{record.kind}_id": record.pk},
        defaults=_doc_values(Kind.ARCHIVE, record.title, record_text(record), when),
    )


# ---------------------------------------------------------- threads/posts
def index_thread(thread, created: bool = False) -> None:
    values = _doc_values(Kind.POST, thread.title, "", thread.created_at)
    if created:
        SearchDocument.objects.create(thread_id=thread.pk, **values)
    else:
        SearchDocument.objects.update_or_create(thread_id=thread.pk, post=None, defaults=values)


def index_post(post, created: bool = False) -> None:
    values = {**_doc_values(Kind.POST, "", post.body, post.created_at, keep_body=False), "thread_id": post.thread_id}
    if created:
        SearchDocument.objects.create(post_id=post.pk, **values)
    else:
        SearchDocument.objects.update_or_create(post_id=post.pk, defaults=values)


def reindex_post(post_id: int) -> None:
    from channels.models import Post

    post = Post.objects.filter(pk=post_id).first()
    if post is None:
        SearchDocument.objects.filter(post_id=post_id).delete()
    else:
        index_post(post)


def reindex_thread(thread_id: int) -> None:
    from channels.models import Thread

    thread = Thread.objects.filter(pk=thread_id).first()
    if thread is None:
        SearchDocument.objects.filter(thread_id=thread_id, post=None).delete()
    else:
        index_thread(thread)


# ---------------------------------------------------------------- rebuild
def _bulk(docs: list[SearchDocument]) -> None:
    SearchDocument.objects.bulk_create(docs, batch_size=1000)
    docs.clear()


@transaction.atomic
def rebuild(chunk: int = 2000, log=None) -> dict[str, int]:
    """Drop and rebuild every row. Streams posts in chunks; safe to run on a live site (one transaction)."""
    from django.db import connection
    from wagtail.models import Page

    from archive.models import Meeting, Report, Workshop
    from channels.models import Post, Thread

    postgres = connection.vendor == "postgresql"
    if postgres:
        # Bulk loading is several times faster without the GIN index; it is rebuilt once at the end.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses pending deferred checks
            cursor.execute("TRUNCATE portal_search_searchdocument")
            cursor.execute("DROP INDEX IF EXISTS search_doc_grams_gin")
    else:
        SearchDocument.objects.all().delete()
    counts = {"pages": 0, "records": 0, "threads": 0, "posts": 0}
    for page in Page.objects.live().filter(depth__gt=1).specific().iterator(chunk_size=200):
        index_page(page)
        counts["pages"] += 1
    for model in (Meeting, Workshop, Report):
        related = ["department"] + (["meeting_type"] if model is Meeting else [])
        for record in model.objects.select_related(*related).iterator(chunk_size=500):
            index_record(record)
            counts["records"] += 1
    docs: list[SearchDocument] = []
    for thread in Thread.objects.only("id", "title", "created_at").iterator(chunk_size=chunk):
        docs.append(SearchDocument(thread_id=thread.pk, **_doc_values(Kind.POST, thread.title, "", thread.created_at)))
        counts["threads"] += 1
        if len(docs) >= chunk:
            _bulk(docs)
    _bulk(docs)
    for post in Post.objects.only("id", "thread_id", "body", "created_at").iterator(chunk_size=chunk):
        docs.append(
            SearchDocument(
                post_id=post.pk,
                thread_id=post.thread_id,
                **_doc_values(Kind.POST, "", post.body, post.created_at, keep_body=False),
            )
        )
        counts["posts"] += 1
        if len(docs) >= chunk:
            _bulk(docs)
            if log:
                log(f"posts: {counts['posts']}")
    _bulk(docs)
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # run the deferred FK checks first
            cursor.execute(GIN_INDEX_SQL)
            cursor.execute("ANALYZE portal_search_searchdocument")
    return counts
