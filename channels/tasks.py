"""Celery tasks of the channels app: each takes ids and calls one function.

They are queued through kumagaya_portal.outbox (on commit) and may run more than
once or late: each re-checks state and permissions when it runs.
"""

import smtplib

from celery import shared_task

from . import notifications

RETRY = {
    "autoretry_for": (smtplib.SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(name="channels.notify_new_post", **RETRY)
def notify_new_post(post_id: int) -> int:
    return notifications.deliver_new_post(post_id)


@shared_task(name="channels.send_digest", **RETRY)
def send_digest(user_id: int) -> int:
    return notifications.send_digest(user_id)


@shared_task(name="channels.send_daily_digests")
def send_daily_digests() -> int:
    from .services import do_queue_daily_digests

    return do_queue_daily_digests()


@shared_task(name="channels.send_invitation", **RETRY)
def send_invitation(membership_id: int, inviter_id: int | None = None) -> bool:
    return notifications.send_invitation(membership_id, inviter_id)


@shared_task(name="channels.send_membership_news", **RETRY)
def send_membership_news(membership_id: int, event: str) -> int:
    return notifications.send_membership_news(membership_id, event)
