"""Anonymous pages of the official range (Wagtail pages) served from the cache.

* Only anonymous GETs of Wagtail's `serve` view and of the archive's views (the
  official range; settings.PAGE_CACHE_NAMESPACES), with no messages waiting, and only
  responses that a page served in full (status 200, no cookies, no no-cache /
  private Cache-Control — Wagtail marks pages with view restrictions no-cache).
* Keyed by host + full path + language. A hit costs one cache round trip and no
  SQL query (when the visitor has no session cookie).
* The per-request parts of a page are put back on a hit: the CSRF token of each
  form (`csrfmiddlewaretoken`) and the CSP nonce.
* Publishing purges: a new cache "generation" on page_published, page_unpublished,
  page save/delete/move, view restriction and site changes, and changes to the
  archive and to citations (official pages list them). `purge()` is public.
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
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.middleware.csrf import get_token

log = logging.getLogger(__name__)

GENERATION_KEY = "pagecache:generation"
CSRF_PLACEHOLDER = b"__pagecache-csrf-token__"
NONCE_PLACEHOLDER = b"__pagecache-csp-nonce__"
_CSRF_INPUT = re.compile(rb'(name="csrfmiddlewaretoken" value=")([A-Za-z0-9]{32,64})(")')
_KEPT_HEADERS = ("Content-Type", "Content-Language")
HIT_HEADER = "X-Page-Cache"


CACHED_TYPES = ("text/html", "application/rss+xml", "application/atom+xml", "text/calendar")


def _in_cached_namespace(request) -> bool:
    match = getattr(request, "resolver_match", None)
    namespaces = getattr(settings, "PAGE_CACHE_NAMESPACES", ("archive",))
    return bool(match and match.namespace in namespaces)


def timeout() -> int:
    return int(getattr(settings, "PAGE_CACHE_SECONDS", 0) or 0)


def _serve_view():
    from wagtail import views

    return views.serve


def _key(request) -> str:
    raw = f"{request.get_host()}|{getattr(request, 'LANGUAGE_CODE', '')}|{request.get_full_path()}"
    return "pagecache:page:" + hashlib.sha256(raw.encode()).hexdigest()


def _anonymous_without_messages(request) -> bool:
    if request.method != "GET":
        return False
    user = getattr(request, "user", None)
    if user is None or user.is_authenticated:
        return False
    storage = get_messages(request)
    return not len(storage)


# ------------------------------------------------------------------ purge
def purge(*, requeue: bool = True, **_signal_kwargs) -> bool:
    """Start a new generation: every stored page is out of date at once.
    If the cache cannot be reached the purge is queued through the outbox (requeue)."""
    generation = f"{time.time_ns()}-{secrets.token_hex(4)}"
    try:
        ok = cache.set(GENERATION_KEY, generation, None) is not False
    except Exception as exc:  # a cache backend that raises (not ResilientRedisCache)
        log.warning("page cache: purge failed: %s", exc)
        ok = False
    if not ok and requeue:
        _purge_later()
    return ok


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
        if meta.label in THREAD_FIELDS_SHOWN:
            # Threads are saved on every reply (counters): purge only for what official pages show.
            shown = THREAD_FIELDS_SHOWN[meta.label]
            if not created and (update_fields is None or shown & set(update_fields)):
                purge()
        elif isinstance(instance, watched) or meta.app_label in PURGING_APPS or meta.label in PURGING_MODELS:
            purge()

    post_save.connect(on_model_change, dispatch_uid=uid + ".save", weak=False)
    post_delete.connect(on_model_change, dispatch_uid=uid + ".delete", weak=False)


# The archive and citations appear on official pages; cms snippets and site settings everywhere.
PURGING_APPS = {"archive", "cms"}
PURGING_MODELS = {"channels.Citation"}
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
        wagtail_page = view_func is _serve_view()
        official_view = not wagtail_page and _in_cached_namespace(request)
        if not (wagtail_page or official_view) or not _anonymous_without_messages(request):
            return None
        key = _key(request)
        found = cache.get_many([GENERATION_KEY, key])
        generation = found.get(GENERATION_KEY)
        entry = found.get(key)
        if generation is None:
            generation = f"{time.time_ns()}-{secrets.token_hex(4)}"
            cache.add(GENERATION_KEY, generation, None)
            generation = cache.get(GENERATION_KEY, generation)
        request._page_cache_key = key
        request._page_cache_generation = generation
        if entry and entry.get("generation") == generation:
            return self._from_entry(request, entry)
        if official_view:  # Wagtail pages are marked by the on_serve_page hook instead
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
