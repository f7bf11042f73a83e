"""Portal-wide Celery tasks and the retry policy for tasks that send e-mail.

    from kumagaya_portal.tasks import email_task

    @email_task(name="channels.send_reply_notification")
    def send_reply_notification(post_id: int, user_id: int) -> None:
        ...  # re-read the post, re-check permissions, send the mail

`email_task` is `shared_task` with automatic retries on SMTP and network errors:
exponential backoff with jitter (1 s, 2 s, 4 s … capped at 10 minutes), at most
8 retries, late acknowledgement so a worker crash re-delivers the task.
"""

import smtplib
from functools import partial

from celery import shared_task

from . import outbox

EMAIL_RETRY_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError, OSError)
EMAIL_RETRY_OPTIONS = {
    "autoretry_for": EMAIL_RETRY_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
    "acks_late": True,
}


def email_task(fn=None, **options):
    """Decorator: a Celery shared task that retries e-mail delivery with exponential backoff.
    Usable bare (`@email_task`) or with shared_task options (`@email_task(name=...)`)."""
    if fn is None:
        return partial(email_task, **options)
    return shared_task(**{**EMAIL_RETRY_OPTIONS, **options})(fn)


@shared_task(name="kumagaya_portal.drain_outbox")
def drain_outbox() -> int:
    return outbox.drain()


class CacheUnavailable(Exception):
    pass


@shared_task(
    name="kumagaya_portal.purge_page_cache", autoretry_for=(CacheUnavailable,), retry_backoff=True, max_retries=10
)
def purge_page_cache() -> None:
    """A purge that could not reach the cache when a page was published."""
    from . import page_cache

    if not page_cache.purge(requeue=False):
        raise CacheUnavailable("page cache unreachable")
