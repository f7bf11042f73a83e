"""Transactional outbox: work for Celery survives a Redis outage.

    from kumagaya_portal.outbox import enqueue
    enqueue(send_post_notification, post_id=post.pk, user_id=user.pk)   # inside a transaction

`enqueue` writes an OutboxMessage row in the caller's transaction; after commit
it tries to hand the message to Celery. If the broker is down the row stays
unsent and `drain_outbox` (Celery beat, and on every successful dispatch) sends
it later. Tasks must be idempotent and re-check permissions when they run.
"""

import logging

from celery import current_app
from django.db import transaction
from django.utils import timezone

from .models import OutboxMessage

log = logging.getLogger(__name__)


def enqueue(task, **kwargs) -> OutboxMessage:
    message = OutboxMessage.objects.create(task_name=task.name, kwargs=kwargs)
    transaction.on_commit(lambda: dispatch(message.pk))
    return message


def dispatch(message_id: int) -> bool:
    message = OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).first()
    if message is None:
        return True
    try:
        current_app.send_task(message.task_name, kwargs=message.kwargs) if not _eager() else current_app.tasks[
            message.task_name
        ].apply(kwargs=message.kwargs).get()
    except Exception as exc:  # broker down: keep the row, drain later
        log.warning("outbox dispatch failed for %s: %s", message_id, exc)
        OutboxMessage.objects.filter(pk=message_id).update(attempts=message.attempts + 1, last_error=str(exc)[:500])
        return False
    OutboxMessage.objects.filter(pk=message_id).update(sent_at=timezone.now())
    return True


def drain(limit: int = 500) -> int:
    sent = 0
    for pk in OutboxMessage.objects.filter(sent_at__isnull=True).order_by("id").values_list("pk", flat=True)[:limit]:
        if not dispatch(pk):
            break
        sent += 1
    return sent


def _eager() -> bool:
    return bool(current_app.conf.task_always_eager)
