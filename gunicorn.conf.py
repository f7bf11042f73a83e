"""Gunicorn for the portal: `gunicorn kumagaya_portal.wsgi` (reads this file from the working directory).

Environment: WEB_CONCURRENCY (workers; default 2 × cores + 1), GUNICORN_THREADS,
GUNICORN_TIMEOUT, GUNICORN_BIND / PORT, GUNICORN_MAX_REQUESTS, GUNICORN_ACCESS_LOG
("-" = stdout, "" = off). Logs are JSON lines, like the application's.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{_int('PORT', 8000)}"
workers = _int("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1)
# Sync workers (one request at a time each, behind the buffering TLS proxy) by default. With
# threads (gthread), one worker accepts every keep-alive connection it can, so a busy page's
# Python ran on one core while the other workers idled (make bench: 15 of 16 connections on one
# worker); sync workers take one request per accept and spread it over all cores, with a
# tighter p95. GUNICORN_THREADS > 1 switches to gthread for clients that must keep connections.
threads = _int("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Load the application once in the master: faster start, shared memory pages.
# Database connections are opened lazily per worker, never inherited.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"
# Recycle workers now and then so a slow leak never grows without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 20000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 2000)
# Behind a TLS-terminating proxy on the same host; X-Forwarded-Proto is trusted from it only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
limit_request_line = 8190
# gunicornc's control socket: off unless a path is given (one fixed default path would be
# shared by every gunicorn master on the host).
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or None
control_socket_disable = control_socket is None
if control_socket is None:
    del control_socket

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# One JSON object per request (kumagaya_portal.logging.GunicornLogger escapes properly).
logger_class = "kumagaya_portal.logging.GunicornLogger"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "kumagaya_portal.logging.JsonFormatter"},
        "access": {"format": "%(message)s"},
    },
    "handlers": {
        "error_console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
        "access_console": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stdout"},
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["error_console"], "level": loglevel.upper(), "propagate": False},
        "gunicorn.access": {"handlers": ["access_console"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["error_console"], "level": "INFO"},
}


def post_fork(server, worker):
    # Never share a database connection opened in the master (preload) with the workers.
    try:
        from django.db import connections

        for conn in connections.all(initialized_only=True):
            conn.close()
    except Exception:  # noqa: S110 — Django not loaded yet: nothing to close
        pass
