"""Transactional outbox: work for Celery survives a Redis outage.

    from kumagaya_portal.outbox import enqueue
    enqueue(send_post_notification, post_id=post.pk, user_id=user.pk)   # inside a transaction

`enqueue` writes an OutboxMessage row in the caller's transaction; after commit
it tries to hand the message to Celery. If the broker is down the row stays
unsent and `drain` (the Celery beat entry "drain-outbox", and the next successful
dispatch after a failure) sends it later.

Each hand-over first *claims* the row with one atomic UPDATE (a lease in
`claimed_until`), so a message is handed over by one sender only, even when
drain runs in several processes or inside an eager task (drain_outbox enqueued
in eager mode no longer re-runs its own row). A sender that dies between claim
and hand-over leaves an expiring lease: the row is sent again later. Delivery is
therefore at least once; tasks must be idempotent and re-check permissions.
"""

import datetime as dt
import json
import logging
import time

from celery import current_app
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from .models import OutboxMessage

log = logging.getLogger(__name__)

LEASE = dt.timedelta(seconds=120)
# A message that failed this often is left for a person to look at (last_error says why).
MAX_ATTEMPTS = 50

# Set when a hand-over failed in this process: the next success drains the backlog.
_backlog = False
# After the broker refused a message, messages committed in the next PAUSE seconds are left
# for drain instead of each paying the connection attempt (a few seconds) in the request.
PAUSE = 10.0
_paused_until = 0.0


def enqueue(task, **kwargs) -> OutboxMessage:
    """Queue `task` (a Celery task or its name) with JSON-serialisable kwargs, on commit."""
    name = task if isinstance(task, str) else task.name
    message = OutboxMessage.objects.create(task_name=name, kwargs=kwargs)
    transaction.on_commit(lambda: _dispatch_after_commit(message.pk))
    return message


def _dispatch_after_commit(message_id: int) -> None:
    global _backlog
    if not _eager() and time.monotonic() < _paused_until:
        _backlog = True  # the broker was down a moment ago: drain sends it
        return
    dispatch(message_id)


def _claim(message_id: int) -> OutboxMessage | None:
    """One atomic UPDATE … RETURNING: the message, if this sender may hand it over now."""
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {OutboxMessage._meta.db_table} SET claimed_until = %s, attempts = attempts + 1 "  # noqa: S608
            "WHERE id = %s AND sent_at IS NULL AND attempts < %s AND (claimed_until IS NULL OR claimed_until < %s) "
            "RETURNING id, task_name, kwargs, attempts",
            [adapt(now + LEASE), message_id, MAX_ATTEMPTS, adapt(now)],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    kwargs = json.loads(row[2]) if isinstance(row[2], str | bytes) else row[2]
    return OutboxMessage(pk=row[0], task_name=row[1], kwargs=kwargs, attempts=row[3])


def _hand_over(message: OutboxMessage) -> None:
    if _eager():
        current_app.tasks[message.task_name].apply(kwargs=message.kwargs, throw=True)
    else:
        # No kombu retry loop: a refused connection fails at once, the row waits for drain.
        current_app.send_task(message.task_name, kwargs=message.kwargs, retry=False)


def dispatch(message_id: int) -> bool:
    """Hand one message over. True if it is sent (now or earlier) or someone else holds it."""
    global _backlog, _paused_until
    message = _claim(message_id)
    if message is None:
        return True
    try:
        _hand_over(message)
    except Exception as exc:  # broker down, or (eager mode) the task failed: keep the row
        log.warning("outbox: message %s (%s) not sent: %s", message.pk, message.task_name, exc, exc_info=_eager())
        OutboxMessage.objects.filter(pk=message.pk).update(claimed_until=None, last_error=repr(exc)[:500])
        _backlog = True
        if not _eager():
            _paused_until = time.monotonic() + PAUSE
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now(), claimed_until=None, last_error="")
    if _backlog:
        _backlog = False
        drain()
    return True


def drain(limit: int = 500) -> int:
    """Send unsent messages oldest first; stop at the first failure (the broker is still down)."""
    global _backlog, _paused_until
    now = timezone.now()
    pending = (
        OutboxMessage.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    _backlog = False
    _paused_until = 0.0
    for pk in list(pending):
        if not dispatch(pk):
            break
        sent += 1
    return sent


def pending_count() -> int:
    return OutboxMessage.objects.filter(sent_at__isnull=True).count()


def _eager() -> bool:
    return bool(current_app.conf.task_always_eager)
