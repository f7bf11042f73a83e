"""A Redis cache that degrades instead of failing: with Redis down, pages still answer.

Django's RedisCache raises redis.ConnectionError into the view. This subclass turns
connection errors into cache misses (get → default, set/add/delete → False) and
logs them; after an error it stops trying for RETRY_AFTER seconds (a small circuit
breaker), so an outage costs no time per request. Nothing stored only in the cache
may matter: sessions live in the database, Celery work goes through the outbox.
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

log = logging.getLogger(__name__)


def _connection_errors() -> tuple[type[BaseException], ...]:
    import redis.exceptions

    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class _ReusedClientRedisCacheClient(RedisCacheClient):
    """Django makes a new redis.Redis (copying its ~170 response callbacks) for every cache call;
    a client is thread-safe over its connection pool, so one per pool serves every call."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}  # pool index → client

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        if index not in self._clients:
            self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return self._clients[index]


class ResilientRedisCache(RedisCache):
    RETRY_AFTER = 2.0

    def __init__(self, server, params):
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        options = dict(params.get("OPTIONS") or {})
        # redis-py retries a refused connection with backoff for seconds by default: once, at once, is enough.
        options.setdefault("retry", Retry(NoBackoff(), 1))
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = _ReusedClientRedisCacheClient
        self._errors = _connection_errors()
        self._down_until = 0.0

    def _guard(self, method, fallback, *args, **kwargs):
        if self._down_until and time.monotonic() < self._down_until:
            return fallback
        try:
            result = method(*args, **kwargs)
        except self._errors as exc:
            self._down_until = time.monotonic() + self.RETRY_AFTER
            log.warning("cache unavailable, serving without it: %s", exc)
            return fallback
        self._down_until = 0.0
        return result

    @property
    def available(self) -> bool:
        return not (self._down_until and time.monotonic() < self._down_until)


# Each cache method, with what it answers while Redis cannot be reached.
def _wrap(name, fallback):
    parent = getattr(RedisCache, name)

    def method(self, *args, **kwargs):
        value = fallback(args, kwargs) if callable(fallback) else fallback
        return self._guard(parent.__get__(self), value, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = parent.__doc__
    return method


for _name, _fallback in {
    "add": False,
    "get": lambda args, kwargs: kwargs.get("default", args[1] if len(args) > 1 else None),
    "set": False,
    "touch": False,
    "delete": False,
    "get_many": lambda args, kwargs: {},
    "has_key": False,
    "incr": lambda args, kwargs: kwargs.get("delta", args[1] if len(args) > 1 else 1),
    "set_many": lambda args, kwargs: list(args[0]) if args else [],
    "delete_many": None,
    "clear": False,
}.items():
    setattr(ResilientRedisCache, _name, _wrap(_name, _fallback))
