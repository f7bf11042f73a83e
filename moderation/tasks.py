"""Celery tasks of the moderation app: each takes ids and calls one function in
moderation.notifications, which checks the state again when it runs."""

import smtplib

from celery import shared_task

from . import notifications

RETRY = {
    "autoretry_for": (smtplib.SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(name="moderation.notify_moderators_of_item", **RETRY)
def notify_moderators_of_item(item_id: int) -> int:
    return notifications.notify_moderators_of_item(item_id)


@shared_task(name="moderation.send_moderator_digest", **RETRY)
def send_moderator_digest() -> int:
    return notifications.send_moderator_digest()


@shared_task(name="moderation.notify_author_of_decision", **RETRY)
def notify_author_of_decision(entry_id: int) -> bool:
    return notifications.notify_author_of_decision(entry_id)


@shared_task(name="moderation.notify_department_of_escalation", **RETRY)
def notify_department_of_escalation(escalation_id: int) -> int:
    return notifications.notify_department_of_escalation(escalation_id)


@shared_task(name="moderation.notify_moderator_of_answer", **RETRY)
def notify_moderator_of_answer(escalation_id: int) -> bool:
    return notifications.notify_moderator_of_answer(escalation_id)
