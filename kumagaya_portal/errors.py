"""The error pages: rendered without the database, the session or the cache.

handler500 answers 503 with Retry-After when the database cannot be reached (a
restart, a failover) and 500 otherwise; the template is self-contained (it does not
extend base.html, whose tags may one day need the database).
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader

UNAVAILABLE = (OperationalError, InterfaceError)


def _database_unavailable() -> bool:
    exc = sys.exc_info()[1]
    while exc is not None:
        if isinstance(exc, UNAVAILABLE):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def server_error(request, template_name="500.html"):
    unavailable = _database_unavailable()
    status = 503 if unavailable else 500
    try:
        content = loader.get_template(template_name).render({"status": status, "unavailable": unavailable})
    except Exception:  # the error page itself must never fail
        content = (
            "<!doctype html><html lang='ja'><meta charset='utf-8'><title>ただいま表示できません</title>"
            "<h1>ただいま表示できません</h1><p>しばらくしてから、もう一度お試しください。</p></html>"
        )
    response = HttpResponse(content, status=status, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-store"
    if unavailable:
        response["Retry-After"] = "30"
    return response
