"""Per-user fixed-window rate limits in the Django cache (Redis in production).

    from channels import ratelimit
    wait = ratelimit.hit(request.user, "post")      # counts this attempt
    if wait:                                          # seconds until the window ends
        message = ratelimit.message("post", wait)

Why not django-ratelimit: our limits are per *user* and per *action* with a
Japanese message and a form that keeps its text; a dozen lines over
cache.add/cache.incr (atomic on Redis) do that without another dependency.
Limits can be overridden with settings.CHANNELS_RATE_LIMITS
({"post": [(count, seconds), ...], ...}).
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

DEFAULT_LIMITS: dict[str, list[tuple[int, int]]] = {
    # new threads and replies together
    "post": [(5, 60), (40, 60 * 60)],
    "edit": [(10, 60), (60, 60 * 60)],
    "join_request": [(5, 60 * 60)],
}


def limits(action: str) -> list[tuple[int, int]]:
    configured = getattr(settings, "CHANNELS_RATE_LIMITS", None) or {}
    return list(configured.get(action, DEFAULT_LIMITS.get(action, [])))


def _count(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout)
        return 1


def hit(user, action: str, *, now: float | None = None) -> int | None:
    """Count one attempt of `action` by `user`; return the seconds to wait if over a limit, else None."""
    now = time.time() if now is None else now
    wait = None
    for count, seconds in limits(action):
        window = int(now // seconds)
        key = f"ratelimit:{action}:{user.pk}:{seconds}:{window}"
        if _count(key, seconds + 5) > count:
            left = max(1, int(seconds - now % seconds))
            wait = max(wait or 0, left)
    return wait


def message(action: str, wait: int) -> str:
    if wait >= 120:
        when = _("%(minutes)d分ほど") % {"minutes": (wait + 59) // 60}
    else:
        when = _("%(seconds)d秒ほど") % {"seconds": wait}
    kept = _("入力した内容は消えていません。")
    if action == "edit":
        what = _("短い時間に編集が続いたため、いまは編集を受け付けていません。")
    elif action == "join_request":
        what, kept = _("参加申請が続けて行われたため、受け付けを一時停止しています。"), ""
    else:
        what = _("短い時間に投稿が続いたため、いまは投稿を受け付けていません。")
    return _("%(what)s%(when)s待ってから、もう一度お試しください。") % {"what": what, "when": when} + kept
