from celery import shared_task

from . import outbox


@shared_task(name="kumagaya_portal.drain_outbox")
def drain_outbox() -> int:
    return outbox.drain()
