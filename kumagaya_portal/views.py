import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

log = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
        log.warning("healthz: database unavailable: %s", exc)
        return False


def _redis_ok(url: str) -> bool:
    """Ask Redis itself (the cache in front of it degrades to misses and would hide an outage)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except Exception as exc:  # noqa: BLE001
        log.warning("healthz: redis unavailable: %s", exc)
        return False
    finally:
        client.close()


@never_cache
def healthz(request):
    """200 when the database (and Redis, when configured) answer; 503 otherwise. For load balancers
    and the compose health check; tells nothing else about the installation."""
    checks = {"database": "ok" if _database_ok() else "error"}
    if settings.REDIS_URL:
        checks["redis"] = "ok" if _redis_ok(settings.REDIS_URL) else "error"
    ok = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if ok else "error", **checks}, status=200 if ok else 503)
