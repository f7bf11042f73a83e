"""The transactional outbox: written with the caller's transaction, handed over once."""

import datetime as dt
import threading

import pytest
from celery import current_app, shared_task
from django.db import connection, transaction
from django.utils import timezone

from kumagaya_portal import outbox
from kumagaya_portal.models import OutboxMessage
from kumagaya_portal.tasks import EMAIL_RETRY_ERRORS, drain_outbox, email_task

RUNS: list[dict] = []
FAIL_TIMES = {"n": 0}


@shared_task(name="tests.outbox.record")
def record(**kwargs):
    RUNS.append(kwargs)


@shared_task(name="tests.outbox.flaky")
def flaky(**kwargs):
    if FAIL_TIMES["n"] > 0:
        FAIL_TIMES["n"] -= 1
        raise ConnectionError("smtp server went away")
    RUNS.append(kwargs)


@pytest.fixture(autouse=True)
def eager():
    RUNS.clear()
    FAIL_TIMES["n"] = 0
    before = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    outbox._backlog = False
    yield
    current_app.conf.task_always_eager = before


def test_enqueue_runs_after_commit_only(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            message = outbox.enqueue(record, post_id=7)
            assert RUNS == []  # nothing leaves before the commit
    assert RUNS == [{"post_id": 7}]
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1 and message.claimed_until is None


def test_rolled_back_transaction_leaves_nothing(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                outbox.enqueue(record, post_id=8)
                raise RuntimeError("the post could not be saved")
    assert RUNS == []
    assert not OutboxMessage.objects.exists()


def test_enqueue_accepts_a_task_name(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        outbox.enqueue("tests.outbox.record", x=1)
    assert RUNS == [{"x": 1}]


def test_failed_hand_over_keeps_the_row_and_drain_sends_it_once(db, django_capture_on_commit_callbacks):
    FAIL_TIMES["n"] = 1
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox.enqueue(flaky, post_id=9)
    message.refresh_from_db()
    assert message.sent_at is None and message.claimed_until is None
    assert "smtp server went away" in message.last_error
    assert outbox.pending_count() == 1

    assert outbox.drain() == 1
    assert outbox.drain() == 0
    assert RUNS == [{"post_id": 9}]
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 2 and message.last_error == ""


def test_next_success_after_a_failure_drains_the_backlog(db, django_capture_on_commit_callbacks):
    FAIL_TIMES["n"] = 1
    with django_capture_on_commit_callbacks(execute=True):
        outbox.enqueue(flaky, n=1)  # fails, stays
    with django_capture_on_commit_callbacks(execute=True):
        outbox.enqueue(record, n=2)  # succeeds, and takes the waiting one along
    assert sorted(r["n"] for r in RUNS) == [1, 2]
    assert outbox.pending_count() == 0


def test_drain_outbox_enqueued_in_eager_mode_runs_everything_exactly_once(db, django_capture_on_commit_callbacks):
    # Rows that were not sent (say, written while the broker was down) ...
    for i in range(3):
        OutboxMessage.objects.create(task_name="tests.outbox.record", kwargs={"i": i})
    # ... and drain_outbox itself going through the outbox.
    with django_capture_on_commit_callbacks(execute=True):
        own = outbox.enqueue(drain_outbox)
    assert sorted(r["i"] for r in RUNS) == [0, 1, 2]
    own.refresh_from_db()
    assert own.sent_at is not None and own.attempts == 1
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0
    assert outbox.drain() == 0
    assert len(RUNS) == 3


def test_a_claimed_message_is_not_sent_by_a_second_sender(db):
    message = OutboxMessage.objects.create(task_name="tests.outbox.record", kwargs={"k": 1})
    assert outbox._claim(message.pk) is not None
    # Another sender (drain elsewhere) must leave it alone while the lease runs.
    assert outbox.dispatch(message.pk) is True
    assert outbox.drain() == 0
    assert RUNS == []


def test_an_expired_lease_is_sent_again(db):
    message = OutboxMessage.objects.create(
        task_name="tests.outbox.record",
        kwargs={"k": 2},
        claimed_until=timezone.now() - dt.timedelta(seconds=1),
        attempts=1,
    )
    assert outbox.drain() == 1
    assert RUNS == [{"k": 2}]
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 2


def test_a_message_failing_too_often_is_left_for_a_person(db):
    OutboxMessage.objects.create(task_name="tests.outbox.record", kwargs={}, attempts=outbox.MAX_ATTEMPTS)
    assert outbox.drain() == 0
    assert RUNS == []


def test_email_task_retries_with_exponential_backoff():
    @email_task(name="tests.outbox.mail")
    def mail(**kwargs):
        return kwargs

    assert mail.name == "tests.outbox.mail"
    assert mail.retry_backoff is True and mail.retry_jitter is True
    assert mail.max_retries == 8
    assert set(EMAIL_RETRY_ERRORS) <= set(mail.autoretry_for)
    assert mail.run(a=1) == {"a": 1}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_drains_hand_each_message_over_once():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for real concurrent connections")
    for i in range(60):
        OutboxMessage.objects.create(task_name="tests.outbox.record", kwargs={"i": i})
    barrier = threading.Barrier(4)

    def worker():
        from django.db import connection as conn

        try:
            barrier.wait()
            outbox.drain()
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r["i"] for r in RUNS) == list(range(60))
    assert OutboxMessage.objects.filter(attempts=1, sent_at__isnull=False).count() == 60
