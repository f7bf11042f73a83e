"""Rendered pages served from the cache, for everyone who would see the same page.

* Which pages (GET only, with no messages waiting, and only responses a view served in
  full: status 200, no cookies, no no-cache / private Cache-Control — Wagtail marks pages
  with view restrictions no-cache):
  - the official range (Wagtail's `serve` view and settings.PAGE_CACHE_NAMESPACES, the
    archive): for anonymous visitors, and for signed-in users who share an "audience"
    (channels.permissions.shared_page_audience: the same readable channels and no editing
    or moderation tools on the page — staff, editors and moderators always get a fresh one);
  - the Lab's public pages (SCOPED_VIEWS: the Lab home, channel and thread pages) and
    search: for anonymous visitors only (signed-in users see their own actions on posts);
  - the moderation queue (PERSONAL_SCOPES): for each moderator alone, and only while the
    view's access rule still lets them in (checked on every hit, before the copy is served).
* Keyed by host + full path + language + audience. An anonymous hit costs one cache round
  trip and no SQL query (when the visitor has no session cookie); a signed-in hit costs
  the session, the user and the audience (about five small queries, no rendering).
* The per-request parts of a page are put back on a hit: the CSRF token of each
  form (`csrfmiddlewaretoken`) and the CSP nonce.
* Publishing purges: a new cache "generation" on page_published, page_unpublished,
  page save/delete/move, view restriction and site changes, and changes to the
  archive and to citations (official pages list them). The Lab has its own generation,
  renewed by every change in the channels app (posts, threads, channels, memberships,
  attachments), the search index, and how authors appear (pen name, staff status,
  departments, staff rules). A page stores the generations it depends on (search: both)
  and is stale as soon as one is renewed. The moderation queue depends on the Lab's, the
  audience's and its own generation, renewed by every change in the moderation app (flags,
  queue items, decisions, escalations). Generations are renewed at once and again
  after the transaction commits, so a page rendered from data not yet committed cannot
  outlive the change. `purge()` is public.
* Entries live PAGE_CACHE_SECONDS (settings; 0 turns the cache off) so even a purge
  lost while the cache was unreachable ages out; such a purge is also queued
  through the outbox and repeated when Redis is back.

Wiring: `PageCacheMiddleware` last in settings.MIDDLEWARE; the `on_serve_page`
hook in kumagaya_portal/wagtail_hooks.py marks the pages that may be stored;
`connect_signals()` runs from the app config's ready().
"""

import hashlib
import logging
import re
import secrets
import time

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

GENERATION_KEY = "pagecache:generation"  # the official range
LAB_GENERATION_KEY = "pagecache:generation:lab"  # the Lab: channels, threads, posts, authors shown
# Who shares which pages: renewed by changes of permissions, groups, memberships, channels.
AUDIENCE_GENERATION_KEY = "pagecache:generation:audience"
# The moderation queue: flags, queue items, decisions (with the Lab's and the audience's).
MODERATION_GENERATION_KEY = "pagecache:generation:moderation"
ALL_GENERATIONS = (GENERATION_KEY, LAB_GENERATION_KEY, AUDIENCE_GENERATION_KEY, MODERATION_GENERATION_KEY)
# scope → the generations its pages depend on
SCOPES = {
    "official": (GENERATION_KEY,),
    "lab": (LAB_GENERATION_KEY,),
    "search": (GENERATION_KEY, LAB_GENERATION_KEY),
    "moderation": (LAB_GENERATION_KEY, AUDIENCE_GENERATION_KEY, MODERATION_GENERATION_KEY),
}
# Non-Wagtail views cached for anonymous visitors (personal scopes: for one user each):
# (namespace, url_name) → scope.
SCOPED_VIEWS = {
    ("channels", "lab"): "lab",
    ("channels", "channel"): "lab",
    ("channels", "thread"): "lab",
    ("search", "search"): "search",
    ("moderation", "queue"): "moderation",
}
# Scopes cached for one signed-in user at a time → the dotted path of the views' own access
# rule, asked again on every hit (a hit never reaches the view).
PERSONAL_SCOPES = {"moderation": "moderation.permissions.can_use_queue"}
ANONYMOUS = "anonymous"
CSRF_PLACEHOLDER = b"__pagecache-csrf-token__"
NONCE_PLACEHOLDER = b"__pagecache-csp-nonce__"
_CSRF_INPUT = re.compile(rb'(name="csrfmiddlewaretoken" value=")([A-Za-z0-9]{32,64})(")')
_KEPT_HEADERS = ("Content-Type", "Content-Language")
HIT_HEADER = "X-Page-Cache"


CACHED_TYPES = ("text/html", "application/rss+xml", "application/atom+xml", "text/calendar")


def _scope(request, view_func) -> str | None:
    if view_func is _serve_view():
        return "official"
    match = getattr(request, "resolver_match", None)
    if match is None:
        return None
    if match.namespace in getattr(settings, "PAGE_CACHE_NAMESPACES", ("archive",)):
        return "official"
    return SCOPED_VIEWS.get((match.namespace, match.url_name))


def timeout() -> int:
    return int(getattr(settings, "PAGE_CACHE_SECONDS", 0) or 0)


def _serve_view():
    from wagtail import views

    return views.serve


def _key(request, audience: str) -> str:
    raw = f"{request.get_host()}|{getattr(request, 'LANGUAGE_CODE', '')}|{audience}|{request.get_full_path()}"
    return "pagecache:page:" + hashlib.sha256(raw.encode()).hexdigest()


def _audience(request, scope: str) -> str | None:
    """Who may share this rendering (part of the key); None: render for this request alone."""
    if request.method != "GET":
        return None
    user = getattr(request, "user", None)
    if user is None:
        return None
    if len(get_messages(request)):
        return None
    if scope in PERSONAL_SCOPES:
        # A hit skips the view: the view's own rule decides, with the permissions as they are now.
        if not user.is_authenticated or not import_string(PERSONAL_SCOPES[scope])(user):
            return None
        return f"user:{user.pk}"
    if not user.is_authenticated:
        return ANONYMOUS
    if scope != "official" or not getattr(settings, "PAGE_CACHE_SIGNED_IN", True):
        return None
    return _signed_in_audience(user)


def _signed_in_audience(user) -> str | None:
    """channels.permissions.shared_page_audience, remembered per user until permissions change."""
    from channels.permissions import shared_page_audience

    return remember_for_user("audience", user, shared_page_audience)


def remember_for_user(name: str, user, compute):
    """`compute(user)`, derived from the permission tables, kept in the cache until any of them
    changes (the audience generation: guardian, auth, groups, memberships, channels) or for
    PAGE_CACHE_SECONDS. One cache round trip on a hit; with the cache off or unreachable,
    computed every time, and in a transaction that changed permissions."""
    # A transaction that changed permissions reads them itself (they may yet roll back).
    if not timeout() or changed_in_this_transaction(AUDIENCE_GENERATION_KEY):
        return compute(user)
    memo_key = f"pagecache:{name}:{user.pk}"
    found = cache.get_many([AUDIENCE_GENERATION_KEY, memo_key])
    (generation,) = _generations((AUDIENCE_GENERATION_KEY,), found)
    memo = found.get(memo_key)
    if memo and memo[0] == generation:
        return memo[1]
    value = compute(user)
    cache.set(memo_key, (generation, value), timeout())
    return value


def _generations(keys, found: dict) -> list[str]:
    """The current generation of each key (from `found`, a get_many result), starting any missing."""
    generations = []
    for key in keys:
        generation = found.get(key)
        if generation is None:
            generation = _new_generation()
            cache.add(key, generation, None)
            generation = cache.get(key, generation)
        generations.append(generation)
    return generations


# ------------------------------------------------------------------ purge
def _new_generation() -> str:
    return f"{time.time_ns()}-{secrets.token_hex(4)}"


def purge(*, requeue: bool = True, keys=ALL_GENERATIONS, **_signal_kwargs) -> bool:
    """Start new generations (default: all), in one round trip: every page stored under them
    is out of date at once. If the cache cannot be reached the purge is queued through the
    outbox (requeue)."""
    try:
        ok = not cache.set_many({key: _new_generation() for key in keys}, None)
    except Exception as exc:  # a cache backend that raises (not ResilientRedisCache)
        log.warning("page cache: purge failed: %s", exc)
        ok = False
    if not ok and requeue:
        _purge_later()
    return ok


class _CommitPurge:
    """The generations one transaction has renewed so far, renewed once more on commit."""

    def __init__(self):
        self.keys: set[str] = set()

    def __call__(self):
        purge(keys=tuple(sorted(self.keys)))


def _pending_purge(connection) -> _CommitPurge | None:
    """The purge this connection's transaction will make on commit, if any (a rolled-back
    transaction or savepoint drops its callbacks, and with them the pending purge)."""
    pending = getattr(connection, "_page_cache_commit_purge", None)
    if pending is None or not any(func is pending for _sids, func, _robust in connection.run_on_commit):
        return None
    return pending


def purge_now_and_after_commit(keys=ALL_GENERATIONS) -> None:
    """Purge now (readers stop getting the old page) and again when the transaction commits
    (a page rendered meanwhile from the not yet committed state is not kept). A transaction
    that saves many rows (a reply: post, search row, thread counters) purges once on commit,
    not once per row."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        purge(keys=keys)
        return
    pending = _pending_purge(connection)
    if pending is None:
        pending = connection._page_cache_commit_purge = _CommitPurge()
        transaction.on_commit(pending)
    pending.keys.update(keys)
    purge(keys=keys)


def changed_in_this_transaction(key: str) -> bool:
    """True if the current transaction has changed what generation `key` covers."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return False
    pending = _pending_purge(connection)
    return pending is not None and key in pending.keys


def _purge_later() -> None:
    from . import outbox

    try:
        outbox.enqueue("kumagaya_portal.purge_page_cache")
    except Exception as exc:  # never let a purge break a publish
        log.warning("page cache: could not queue a purge: %s", exc)


def _purge_on_save(sender, instance=None, **kwargs):
    purge()


def connect_signals() -> None:
    from wagtail.models import Page, PageViewRestriction, Site
    from wagtail.signals import page_published, page_unpublished, post_page_move

    uid = "kumagaya_portal.page_cache"
    page_published.connect(purge, dispatch_uid=uid + ".published")
    page_unpublished.connect(purge, dispatch_uid=uid + ".unpublished")
    post_page_move.connect(purge, dispatch_uid=uid + ".moved")

    from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting

    watched = (Page, PageViewRestriction, Site, BaseGenericSetting, BaseSiteSetting)

    def on_model_change(sender, instance=None, created=False, update_fields=None, **kwargs):
        meta = sender._meta
        changed = set(update_fields) if update_fields is not None else None
        keys = set()
        if meta.label in THREAD_FIELDS_SHOWN:
            # Threads are saved on every reply (counters): official pages only for what they show.
            if not created and (changed is None or THREAD_FIELDS_SHOWN[meta.label] & changed):
                keys.add(GENERATION_KEY)
        elif isinstance(instance, watched) or meta.app_label in PURGING_APPS or meta.label in PURGING_MODELS:
            keys.update((GENERATION_KEY, LAB_GENERATION_KEY))
        elif meta.label in SHOWN_FIELDS:
            # Users are saved at every sign-in (last_login): only what pages show purges.
            if changed is None or SHOWN_FIELDS[meta.label] & changed:
                keys.update(ALL_GENERATIONS)
        if meta.app_label in LAB_APPS:
            keys.add(LAB_GENERATION_KEY)
        if meta.app_label in MODERATION_APPS:
            keys.add(MODERATION_GENERATION_KEY)
        if meta.app_label in AUDIENCE_APPS or meta.label in AUDIENCE_MODELS:
            keys.add(AUDIENCE_GENERATION_KEY)
        if keys:
            purge_now_and_after_commit(tuple(sorted(keys)))

    def on_relation_change(sender, action=None, **kwargs):
        if action in ("post_add", "post_remove", "post_clear"):  # groups, permissions, departments
            purge_now_and_after_commit(ALL_GENERATIONS)

    post_save.connect(on_model_change, dispatch_uid=uid + ".save", weak=False)
    post_delete.connect(on_model_change, dispatch_uid=uid + ".delete", weak=False)
    m2m_changed.connect(on_relation_change, dispatch_uid=uid + ".relation", weak=False)


# The archive and citations appear on official pages; cms snippets and site settings everywhere;
# channels (names, tiers), departments and staff rules (the disclaimer) on both ranges.
PURGING_APPS = {"archive", "cms"}
PURGING_MODELS = {"channels.Citation", "channels.Channel", "accounts.Department", "accounts.StaffRules"}
# Every change in these apps renews the Lab's generation.
LAB_APPS = {"channels", "portal_search"}
# Every change in these apps renews the moderation queue's generation.
MODERATION_APPS = {"moderation"}
# How an author appears (channels.identity.display_author): changes of these fields purge.
SHOWN_FIELDS = {
    "accounts.User": {
        "pen_name",
        "real_name",
        "organisation",
        "is_city_staff",
        "department",
        "is_deleted",
        "is_active",
        "real_name_verified",
        "is_staff",
        "is_superuser",
    }
}
# Who may read which channel, and who gets page tools: renews the audience generation.
AUDIENCE_APPS = {"guardian", "auth"}
AUDIENCE_MODELS = {"channels.Channel", "channels.Membership"}
# Official pages list the threads citing them (title, visibility, summary): those fields purge.
THREAD_FIELDS_SHOWN = {
    "channels.Thread": {"title", "visibility", "channel", "summary", "summary_published", "is_locked", "phase"}
}


# ------------------------------------------------------------- wagtail hook
def mark_cacheable(serve):
    """on_serve_page hook (innermost): only pages that really served may be stored."""

    def inner(page, request, serve_args, serve_kwargs):
        if getattr(request, "_page_cache_key", None) and getattr(page, "page_cache", True):
            request._page_cache_store = True
        return serve(page, request, serve_args, serve_kwargs)

    return inner


# --------------------------------------------------------------- middleware
class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "_page_cache_store", False):
            self._store(request, response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not timeout():
            return None
        scope = _scope(request, view_func)
        if scope is None:
            return None
        audience = _audience(request, scope)
        if audience is None:
            return None
        key = _key(request, audience)
        generation_keys = SCOPES[scope]
        found = cache.get_many([*generation_keys, key])
        generations = _generations(generation_keys, found)
        request._page_cache_key = key
        request._page_cache_generation = generations
        entry = found.get(key)
        if entry and entry.get("generation") == generations:
            return self._from_entry(request, entry)
        if view_func is not _serve_view():  # Wagtail pages are marked by the on_serve_page hook instead
            request._page_cache_store = True
        return None

    def _from_entry(self, request, entry) -> HttpResponse:
        content = entry["content"]
        if CSRF_PLACEHOLDER in content:
            content = content.replace(CSRF_PLACEHOLDER, get_token(request).encode())
        if NONCE_PLACEHOLDER in content:
            nonce = getattr(request, "_csp_nonce", None)
            content = content.replace(NONCE_PLACEHOLDER, str(nonce).encode() if nonce is not None else b"")
        response = HttpResponse(content, status=200)
        for name, value in entry["headers"].items():
            response[name] = value
        response[HIT_HEADER] = "hit"
        return response

    def _store(self, request, response) -> None:
        if response.status_code != 200 or response.streaming or response.cookies:
            return
        cache_control = {part.split("=")[0].strip().lower() for part in response.get("Cache-Control", "").split(",")}
        if cache_control & {"no-cache", "no-store", "private"}:
            return
        if not response.get("Content-Type", "").startswith(CACHED_TYPES):
            return
        content = _CSRF_INPUT.sub(rb"\1" + CSRF_PLACEHOLDER + rb"\3", response.content)
        nonce = getattr(request, "_csp_nonce", None)
        if nonce:  # evaluated while rendering: the page carries it
            content = content.replace(str(nonce).encode(), NONCE_PLACEHOLDER)
        entry = {
            "generation": request._page_cache_generation,
            "content": content,
            "headers": {h: response[h] for h in _KEPT_HEADERS if h in response},
        }
        cache.set(request._page_cache_key, entry, timeout())
        response[HIT_HEADER] = "miss"
