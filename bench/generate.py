# ruff: noqa: S608 — SQL is built from model metadata and fixed fragments; values go as parameters
"""The benchmark data set, generated inside PostgreSQL (INSERT … SELECT generate_series).

At BENCH_SCALE=1: 20,000 users, the city's channels (load_kumagaya), 100,000 threads,
1,000,000 posts of Japanese text, 50,000 flags with their queue items, 1,800 archive
meetings and 200 Wagtail NewsPages (2,000 official pages and records), and the search
index rows for all of it. Post bodies come from a few thousand distinct texts built
from a word list; each text is rendered to HTML (and folded for search) once, in
Python, and joined in SQL. Denormalised counters are set by one UPDATE at the end.

Columns this module does not name are filled from the model field's default (or NULL),
so new fields other helpers add need no change here — a NOT NULL column without a
default stops the run with its name.

    python -m bench.generate            # uses DATABASE_URL, BENCH_SCALE
"""

import datetime as dt
import os
import time
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models.fields import NOT_PROVIDED
from django.utils import timezone

from . import words

GENERATOR_VERSION = 3
BENCH_PASSWORD = "bench-kumagaya-2024"  # noqa: S105 - bench accounts only


def counts_for(scale: float) -> dict[str, int]:
    def n(full: int, minimum: int) -> int:
        return max(minimum, round(full * scale))

    return {
        "users": n(20_000, 200),
        "threads": n(100_000, 100),
        "posts": n(1_000_000, 1_000),
        "flags": n(50_000, 100),
        "meetings": n(1_800, 20),
        "news_pages": n(200, 10),
        "bodies": n(4_000, 300),
        "titles": 1_000,
    }


def log(msg: str) -> None:
    print(f"[bench.generate {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ----------------------------------------------------------------- helpers
def _default_sql(field: models.Field, params: dict) -> str | None:
    """SQL for a column the generator does not set: the database default, now(), the field default or NULL."""
    if field.db_default is not NOT_PROVIDED:
        return None
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return "now()"
    if field.has_default() or (field.empty_strings_allowed and not field.null):
        key = f"default_{field.model._meta.db_table}_{field.column}"
        params[key] = field.get_db_prep_save(field.get_default(), connection)
        return f"%({key})s"
    if field.null:
        return None
    raise RuntimeError(
        f"bench.generate: {field.model._meta.label}.{field.name} is NOT NULL without a default; "
        "add it to the generator's column list"
    )


def insert_select(model, columns: dict[str, str], source: str, params: dict | None = None) -> int:
    """INSERT INTO model's table (named columns + defaults for the rest) SELECT … FROM source."""
    params = dict(params or {})
    cols, exprs = [], []
    for field in model._meta.local_concrete_fields:
        if field.primary_key and field.column not in columns:
            continue
        if field.column in columns:
            expr = columns[field.column]
        else:
            expr = _default_sql(field, params)
            if expr is None:
                continue
        cols.append(connection.ops.quote_name(field.column))
        exprs.append(expr)
    unknown = set(columns) - {f.column for f in model._meta.local_concrete_fields}
    if unknown:
        raise RuntimeError(f"bench.generate: {model._meta.label} has no column(s) {sorted(unknown)}")
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(cols)}) SELECT {', '.join(exprs)} FROM {source}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def execute(sql: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def scalar(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        return row[0] if row else None


@contextmanager
def without_secondary_indexes(*tables: str):
    """Drop plain (non-unique) indexes for a bulk load and build them again after: much faster."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary AND NOT i.indisunique
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            """,
            [list(tables)],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            # Run the deferred foreign-key checks now: an index cannot be built with them pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET maintenance_work_mem = '256MB'")
            for _, definition in indexes:
                cursor.execute(definition)


# ------------------------------------------------------------------ pieces
def create_text_tables(n_bodies: int, n_titles: int) -> None:
    """bench_bodies / bench_titles: each distinct text once, with its HTML and search index values."""
    from channels.markdown import render_markdown

    search = _search_values()
    bodies = words.bodies(n_bodies)
    titles = words.titles(n_titles)
    execute("DROP TABLE IF EXISTS bench_bodies; DROP TABLE IF EXISTS bench_titles")
    execute("CREATE TABLE bench_bodies (idx int PRIMARY KEY, body text, body_html text, norm text, grams text[])")
    execute("CREATE TABLE bench_titles (idx int PRIMARY KEY, title text, norm text, grams text[])")
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy("COPY bench_bodies (idx, body, body_html, norm, grams) FROM STDIN") as copy:
            for i, body in enumerate(bodies):
                norm, grams = search(body, as_title=False)
                copy.write_row((i, body, render_markdown(body), norm, grams))
        with raw.copy("COPY bench_titles (idx, title, norm, grams) FROM STDIN") as copy:
            for i, title in enumerate(titles):
                norm, grams = search(title, as_title=True)
                copy.write_row((i, title, norm, grams))


def _search_values():
    try:
        from kumagaya_portal.search.indexing import _doc_values
        from kumagaya_portal.search.models import SearchDocument

        def values(text: str, as_title: bool):
            v = _doc_values(SearchDocument.Kind.POST, text if as_title else "", "" if as_title else text, None)
            return v["norm"], list(v["grams"])

        return values
    except ImportError:
        return lambda text, as_title: ("", [])


def create_users(n: int) -> tuple[int, int]:
    from django.contrib.auth.hashers import make_password

    from kumagaya_portal.accounts.models import Department, User

    departments = list(Department.objects.values_list("pk", flat=True)) or [None]
    stems = words.PEN_NAME_STEMS
    params = {
        "n": n,
        "pw": make_password(BENCH_PASSWORD),
        "stems": stems,
        "departments": departments,
        "guidelines": settings.GUIDELINES_VERSION,
        "surnames": ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"],
        "given": ["陽菜", "蓮", "結衣", "湊", "葵", "大翔", "さくら", "悠真", "美咲", "健太"],
    }
    first = scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM accounts_user")
    insert_select(
        User,
        {
            "email": "'bench-user-' || g || '@example.jp'",
            "password": "%(pw)s",
            "pen_name": "(%(stems)s::text[])[1 + g %% 10] || g",
            "pen_name_key": "(%(stems)s::text[])[1 + g %% 10] || g",
            "real_name": "(%(surnames)s::text[])[1 + g %% 10] || ' ' || (%(given)s::text[])[1 + (g / 10) %% 10]",
            "real_name_verified": "(g %% 10 = 0)",
            "is_city_staff": "(g %% 100 = 0)",
            "department_id": "CASE WHEN g %% 100 = 0 THEN (%(departments)s::bigint[])[1 + g %% array_length(%(departments)s::bigint[], 1)] END",
            "guidelines_version": "%(guidelines)s",
            "is_active": "true",
            "date_joined": "now() - (g || ' minutes')::interval",
        },
        "generate_series(1, %(n)s) g",
        params,
    )
    last = scalar("SELECT MAX(id) FROM accounts_user")
    try:
        from allauth.account.models import EmailAddress

        insert_select(
            EmailAddress,
            {"user_id": "u.id", "email": "u.email", "verified": "true", "primary": "true"},
            "accounts_user u WHERE u.id >= %(first)s AND u.id <= %(last)s",
            {"first": first, "last": last},
        )
    except ImportError:
        pass
    return first, last


def create_threads(n: int, users: tuple[int, int], start: dt.datetime, span: dt.timedelta) -> tuple[int, int]:
    from channels.models import Channel, InitiativeKind, Phase, Thread, Tier

    a = list(Channel.objects.filter(tier_id=Tier.A, members_only=False).values_list("pk", flat=True))
    other = list(Channel.objects.exclude(tier_id=Tier.A).values_list("pk", flat=True)) or a
    # Four in five threads in the public A channels.
    weighted = a * 4 + other if len(other) else a
    step = span / n
    params = {
        "n": n,
        "channels": weighted,
        "kinds": [k.value for k in InitiativeKind],
        "phases": [p.value for p in Phase],
        "u0": users[0],
        "un": users[1] - users[0] + 1,
        "start": start,
        "step": step,
    }
    first = scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM channels_thread")
    insert_select(
        Thread,
        {
            "channel_id": "(%(channels)s::bigint[])[1 + (g::bigint * 7) %% array_length(%(channels)s::bigint[], 1)]",
            "title": "t.title",
            "kind": "(%(kinds)s::text[])[1 + g %% array_length(%(kinds)s::text[], 1)]",
            "phase": "(%(phases)s::text[])[1 + (g / 3) %% array_length(%(phases)s::text[], 1)]",
            "author_id": "%(u0)s + (g::bigint * 48271) %% %(un)s",
            "visibility": "CASE WHEN g %% 199 = 0 THEN 'hidden' WHEN g %% 211 = 0 THEN 'pending' ELSE 'published' END",
            "last_activity_at": "%(start)s::timestamptz + %(step)s::interval * g",
            "created_at": "%(start)s::timestamptz + %(step)s::interval * g",
        },
        "generate_series(1, %(n)s) g JOIN bench_titles t ON t.idx = (g::bigint * 31) %% (SELECT count(*) FROM bench_titles)",
        params,
    )
    return first, scalar("SELECT MAX(id) FROM channels_thread")


def create_posts(
    n: int, threads: tuple[int, int], users: tuple[int, int], start: dt.datetime, span: dt.timedelta
) -> tuple[int, int]:
    from channels.models import Post

    params = {
        "n": n,
        "t0": threads[0],
        "tn": threads[1] - threads[0] + 1,
        "u0": users[0],
        "un": users[1] - users[0] + 1,
        "start": start,
        "step": span / n,
    }
    first = scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM channels_post")
    insert_select(
        Post,
        {
            # Scattered over the threads (a thread's posts are not stored side by side).
            "thread_id": "%(t0)s + (g::bigint * 2654435761) %% %(tn)s",
            "author_id": "%(u0)s + (g::bigint * 48271) %% %(un)s",
            "body": "b.body",
            "body_html": "b.body_html",
            "visibility": "CASE WHEN g %% 397 = 0 THEN 'hidden' WHEN g %% 401 = 0 THEN 'pending' "
            "WHEN g %% 409 = 0 THEN 'removed' ELSE 'published' END",
            "moderation_reason": "''",
            "author_was_staff": "(((g::bigint * 48271) %% %(un)s + 1) %% 100 = 0)",
            "is_deleted_by_author": "(g %% 1009 = 0)",
            "created_at": "%(start)s::timestamptz + %(step)s::interval * g",
        },
        "generate_series(1, %(n)s) g JOIN bench_bodies b ON b.idx = (g::bigint * 7919) %% (SELECT count(*) FROM bench_bodies)",
        params,
    )
    return first, scalar("SELECT MAX(id) FROM channels_post")


def create_special_threads(users: tuple[int, int]) -> dict[str, int]:
    """The 200-post thread of the thread-page test and the thread the reply test posts to."""
    from channels.models import Channel, InitiativeKind, PostingPolicy, Thread, Tier

    channel = (
        Channel.objects.filter(tier_id=Tier.A, members_only=False, posting_policy=PostingPolicy.OPEN)
        .order_by("number")
        .first()
    )
    now = timezone.now()
    ids = {}
    for key, title, n_posts in [
        ("thread_200", "【ベンチマーク】200件の投稿があるトピック", 200),
        ("thread_reply", "【ベンチマーク】返信を書き込むトピック", 20),
    ]:
        thread = Thread.objects.create(
            channel=channel,
            title=title,
            kind=InitiativeKind.PUBLIC_PRIVATE,
            author_id=users[0] + 1,
            last_activity_at=now,
        )
        insert_select(
            thread.posts.model,
            {
                "thread_id": "%(thread)s",
                "author_id": "%(u0)s + (g * 37) %% %(un)s",
                "body": "b.body",
                "body_html": "b.body_html",
                # Two of the 200 are hidden by moderators: readers see the placeholder.
                "visibility": "CASE WHEN g IN (17, 123) THEN 'hidden' ELSE 'published' END",
                "moderation_reason": "''",
                "author_was_staff": "false",
                "is_deleted_by_author": "false",
                "created_at": "%(now)s::timestamptz - ((%(n)s - g) || ' minutes')::interval",
            },
            "generate_series(1, %(n)s) g JOIN bench_bodies b ON b.idx = g",
            {"thread": thread.pk, "u0": users[0], "un": users[1] - users[0] + 1, "n": n_posts, "now": now},
        )
        ids[key] = thread.pk
    ids["channel"] = channel.pk
    return ids


def update_counters() -> None:
    """Thread.visible_post_count, last_post, last_activity_at — consistent with the posts, in one UPDATE."""
    execute(
        """
        UPDATE channels_thread t
        SET visible_post_count = s.visible,
            last_post_id = s.last_id,
            last_activity_at = COALESCE(s.last_at, t.created_at)
        FROM (
            SELECT thread_id,
                   count(*) FILTER (WHERE visibility = 'published') AS visible,
                   (array_agg(id ORDER BY created_at DESC, id DESC) FILTER (WHERE visibility = 'published'))[1] AS last_id,
                   max(created_at) FILTER (WHERE visibility = 'published') AS last_at
            FROM channels_post GROUP BY thread_id
        ) s
        WHERE s.thread_id = t.id
        """
    )


def create_flags(n: int, posts: tuple[int, int], users: tuple[int, int]) -> int | None:
    try:
        from moderation.models import Flag, FlagReason, QueueItem
    except ImportError:
        log("moderation.models.Flag does not exist: no flags")
        return None
    params = {
        "n": n,
        "p0": posts[0],
        "pn": posts[1] - posts[0] + 1,
        "u0": users[0],
        "un": users[1] - users[0] + 1,
        "reasons": [r.value for r in FlagReason],
    }
    # Flags gather on fewer posts than there are flags (several users flag the same post).
    source = (
        "(SELECT DISTINCT ON (post_id, flagger_id) * FROM ("
        " SELECT g, %(p0)s + ((g / 3)::bigint * 7919) %% %(pn)s AS post_id,"
        " %(u0)s + (g::bigint * 13) %% %(un)s AS flagger_id FROM generate_series(1, %(n)s) g) x) f"
    )
    with without_secondary_indexes("moderation_flag"):
        insert_select(
            Flag,
            {
                "post_id": "f.post_id",
                "flagger_id": "f.flagger_id",
                "reason": "(%(reasons)s::text[])[1 + f.g %% array_length(%(reasons)s::text[], 1)]",
                "note": "'ベンチマークの通報です。'",
                "state": "CASE WHEN f.g %% 5 = 0 THEN 'resolved' ELSE 'open' END",
                "created_at": "now() - ((%(n)s - f.g) || ' minutes')::interval",
            },
            source,
            params,
        )
    insert_select(
        QueueItem,
        {
            "post_id": "q.post_id",
            "channel_id": "q.channel_id",
            "state": "CASE WHEN q.open_flags > 0 THEN 'open' ELSE 'decided' END",
            "flag_count": "q.open_flags",
            "opened_at": "q.first_at",
        },
        "(SELECT f.post_id, t.channel_id, count(DISTINCT f.flagger_id) FILTER (WHERE f.state = 'open') AS open_flags,"
        " min(f.created_at) AS first_at FROM moderation_flag f JOIN channels_post p ON p.id = f.post_id"
        " JOIN channels_thread t ON t.id = p.thread_id GROUP BY f.post_id, t.channel_id) q",
    )
    return Flag.objects.count()


def create_meetings(n: int) -> int:
    from archive.models import Meeting, MeetingType

    try:
        from archive.models import Status
    except ImportError:  # the first version kept it on the model
        Status = Meeting.Status
    from channels.models import Channel, Tier
    from kumagaya_portal.accounts.models import Department

    types = list(MeetingType.objects.all()) or [None]
    departments = list(Department.objects.all()) or [None]
    channels = list(Channel.objects.filter(tier_id=Tier.A)) or [None]
    today = timezone.localdate()
    rows = []
    for i in range(n):
        day = today - dt.timedelta(days=(i * 3) % 2000 - 200)
        title = words.titles(1, seed=i)[0].replace("を考える", "検討会議")
        m = Meeting(
            title=f"{title}（第{i % 12 + 1}回）",
            slug=f"bench-{day:%Y%m%d}-{i}",
            meeting_type=types[i % len(types)],
            status=Status.HELD if day < today else Status.PLANNED,
            date=day,
            start_time=dt.time(10 + i % 8, 0),
            end_time=dt.time(12 + i % 8, 0),
            venue="熊谷市役所 本庁舎",
            department=departments[i % len(departments)],
            channel=channels[i % len(channels)],
            note="ベンチマーク用の会議記録です。市民の皆さんと交通・暑さ対策・にぎわいについて話し合いました。",
            is_public=i % 50 != 0,
        )
        m.fiscal_year = day.year if day.month >= 4 else day.year - 1
        rows.append(m)
    Meeting.objects.bulk_create(rows, batch_size=500)
    try:
        from kumagaya_portal.search.indexing import index_record

        for record in Meeting.objects.filter(slug__startswith="bench-").select_related("department", "meeting_type"):
            index_record(record)
    except ImportError:
        pass
    return n


def create_news_pages(n: int) -> tuple[int, str | None]:
    """NewsPages through Wagtail's tree API (slow per page, so only a few hundred)."""
    from django.apps import apps

    try:
        NewsPage = apps.get_model("cms", "NewsPage")
    except LookupError:
        log("cms.NewsPage does not exist: no news pages")
        return 0, None
    from wagtail.models import Page

    parent = _news_parent(NewsPage)
    if parent is None:
        log("no page may hold a NewsPage: no news pages")
        return 0, None
    made = 0
    first_url = None
    for i in range(n):
        page = NewsPage(
            title=f"熊谷市からのお知らせ 第{i + 1}号：{words.titles(1, seed=1000 + i)[0]}", slug=f"bench-news-{i + 1}"
        )
        _fill_page(page, i)
        parent.add_child(instance=page)
        _index_page(page)
        made += 1
        if first_url is None:
            first_url = Page.objects.get(pk=page.pk).url
    return made, first_url


def _index_page(page) -> None:
    try:
        from kumagaya_portal.search.indexing import index_page
    except ImportError:
        return
    index_page(page)


def _news_parent(NewsPage):
    from wagtail.models import Page

    parent_models = NewsPage.allowed_parent_page_models()
    for model in parent_models:
        found = model.objects.live().first() if model is not Page else None
        if found is not None:
            return found
    # Make an allowed index page under the home page when none exists.
    from cms.models import HomePage

    home = HomePage.objects.first()
    for model in parent_models:
        if model in home.specific_class.allowed_subpage_models() and model is not Page:
            index = model(title="お知らせ", slug="news")
            _fill_page(index, 0)
            home.add_child(instance=index)
            return index
    return None


def _fill_page(page, i: int) -> None:
    """Fill the required fields of a page type we do not own (department, intro, StreamField body)."""
    from wagtail.fields import RichTextField, StreamField

    from kumagaya_portal.accounts.models import Department

    text = "".join(words.bodies(3, seed=5000 + i)).replace("\n", "")
    for field in page._meta.concrete_fields:
        if field.model is not type(page) or field.primary_key:
            continue
        if isinstance(field, StreamField):
            if not getattr(page, field.name):
                _fill_stream(page, field, text)
            continue
        if field.blank or getattr(page, field.attname, None) not in (None, ""):
            continue
        if isinstance(field, RichTextField):
            setattr(page, field.name, f"<p>{text}</p>")
        elif isinstance(field, models.ForeignKey) and field.related_model is Department:
            setattr(page, field.name, Department.objects.order_by("id").first())
        elif isinstance(field, models.CharField | models.TextField):
            setattr(page, field.name, text[: field.max_length or 200])
        elif isinstance(field, models.DateTimeField):
            setattr(page, field.name, timezone.now())
        elif isinstance(field, models.DateField):
            setattr(page, field.name, timezone.localdate())


def _fill_stream(page, field, text: str) -> None:
    from wagtail.rich_text import RichText

    block_names = list(field.stream_block.child_blocks)
    name = next((b for b in ("paragraph", "text", "rich_text", "body") if b in block_names), None)
    if name is None:
        return
    block = field.stream_block.child_blocks[name]
    value = RichText(f"<p>{text}</p>") if "RichText" in type(block).__name__ else text
    setattr(page, field.name, [(name, value)])


def create_search_rows() -> int | None:
    """Search index rows for the generated threads and posts, from the per-text values."""
    try:
        from kumagaya_portal.search.models import SearchDocument
    except ImportError:
        return None
    kind = SearchDocument.Kind.POST
    order = SearchDocument.KIND_ORDER[kind]
    # Rows the ORM wrote for the few threads made through it are replaced by the bulk rows.
    execute(f"DELETE FROM {SearchDocument._meta.db_table} WHERE thread_id IS NOT NULL OR post_id IS NOT NULL")
    with without_secondary_indexes(SearchDocument._meta.db_table):
        insert_select(
            SearchDocument,
            {
                "kind": f"'{kind.value}'",
                "kind_order": str(order),
                "thread_id": "t.id",
                "title": "t.title",
                "body": "''",
                "norm": "x.norm",
                "grams": "x.grams",
                "date": "t.created_at",
            },
            "channels_thread t JOIN bench_titles x ON x.title = t.title",
        )
        insert_select(
            SearchDocument,
            {
                "kind": f"'{kind.value}'",
                "kind_order": str(order),
                "thread_id": "p.thread_id",
                "post_id": "p.id",
                "title": "''",
                "body": "''",
                "norm": "x.norm",
                "grams": "x.grams",
                "date": "p.created_at",
            },
            "channels_post p JOIN bench_bodies x ON x.body = p.body",
        )
    try:  # the few threads with titles of their own (the special threads)
        from channels.models import Thread
        from kumagaya_portal.search.indexing import index_thread

        titled = SearchDocument.objects.filter(post=None, thread__isnull=False).values("thread_id")
        for thread in Thread.objects.exclude(pk__in=titled)[:100]:
            index_thread(thread)
    except ImportError:
        pass
    return SearchDocument.objects.count()


def create_personas(users: tuple[int, int]) -> dict[str, int]:
    """A moderator (global permission) for the queue test; bench users are ordinary citizens."""
    from django.contrib.auth.models import Permission

    from kumagaya_portal.accounts.models import User

    moderator = User.objects.get(pk=users[0])
    moderator.user_permissions.add(Permission.objects.get(codename="moderate_channel"))
    User.objects.filter(pk=moderator.pk).update(real_name_verified=True)
    return {"moderator": moderator.pk}


# --------------------------------------------------------------------- run
def generate(scale: float) -> dict:
    """Fill an empty, migrated database (the city loaded) at `scale`. Returns what it made."""
    if connection.vendor != "postgresql":
        raise SystemExit("bench.generate needs PostgreSQL (DATABASE_URL=postgres://…)")
    c = counts_for(scale)
    began = time.monotonic()
    now = timezone.now()
    span = dt.timedelta(days=3 * 365)
    start = now - span - dt.timedelta(days=1)
    made: dict = {"scale": scale}
    with transaction.atomic():
        log(f"texts: {c['bodies']} bodies, {c['titles']} titles")
        create_text_tables(c["bodies"], c["titles"])
        log(f"users: {c['users']}")
        users = create_users(c["users"])
        made["personas"] = create_personas(users)
        log(f"threads: {c['threads']}")
        threads = create_threads(c["threads"], users, start, span)
        log(f"posts: {c['posts']}")
        with without_secondary_indexes("channels_post"):
            posts = create_posts(c["posts"] - 220, threads, users, start, span)
            made.update(create_special_threads(users))
        log("counters")
        update_counters()
    with transaction.atomic():
        log(f"flags: {c['flags']}")
        made["flags"] = create_flags(c["flags"], posts, users)
    with transaction.atomic():
        log(f"meetings: {c['meetings']}")
        made["meetings"] = create_meetings(c["meetings"])
    with transaction.atomic():
        log(f"news pages: {c['news_pages']}")
        made["news_pages"], made["news_url"] = create_news_pages(c["news_pages"])
    with transaction.atomic():
        log("search index rows")
        made["search_rows"] = create_search_rows()
    execute("DROP TABLE IF EXISTS bench_bodies; DROP TABLE IF EXISTS bench_titles")
    log("VACUUM ANALYZE")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    made["seconds"] = round(time.monotonic() - began, 1)
    log(f"done in {made['seconds']} s")
    return made


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kumagaya_portal.settings")
    django.setup()
    print(generate(float(os.environ.get("BENCH_SCALE", "1"))))


if __name__ == "__main__":
    main()
