"""Concurrent flags and decisions from several processes, on PostgreSQL (real row locks, real
constraint races). Skipped on SQLite, which serialises every write anyway.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/kumagaya_m pytest tests/test_moderation_concurrency.py
"""

import multiprocessing
import os

import pytest
from django.db import connection, connections

from channels import services as channel_services
from channels.models import Visibility
from moderation import services
from moderation.models import AuditEntry, Flag, QueueItem
from tests.test_moderation_support import *  # noqa: F403
from tests.test_moderation_support import flaggers

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL (SQLite serialises writes, so there is no race to test)")


@pytest.fixture(autouse=True)
def eager_celery():
    from celery import current_app

    before = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    yield
    current_app.conf.task_always_eager = before


def run_in_processes(target, args_list) -> list[str]:
    """Fork one process per args tuple; they start together (a barrier) and report an outcome each."""
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(len(args_list))
    results = ctx.SimpleQueue()  # written synchronously: nothing lost at os._exit
    connections.close_all()  # children open their own connections
    procs = [ctx.Process(target=_child, args=(target, barrier, results, args)) for args in args_list]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    outcomes = [results.get() for _ in procs]
    assert all(p.exitcode == 0 for p in procs), outcomes
    return outcomes


def _child(target, barrier, results, args):
    code = 0
    try:
        connections.close_all()
        barrier.wait(20)
        results.put(target(*args))
    except Exception as exc:  # reported, the parent asserts
        results.put(f"error: {type(exc).__name__}: {exc}")
        code = 1
    finally:
        connections.close_all()
        os._exit(code)


def _flag(user_id, post_id):
    from channels.models import Post
    from kumagaya_portal.accounts.models import User

    try:
        services.do_flag(actor=User.objects.get(pk=user_id), post=Post.objects.get(pk=post_id), reason="spam")
    except services.AlreadyFlagged:
        return "already"
    return "flagged"


def _decide(user_id, post_id, action, version):
    from channels.models import Post
    from kumagaya_portal.accounts.models import User

    try:
        services.do_decide(
            actor=User.objects.get(pk=user_id),
            post=Post.objects.get(pk=post_id),
            action=action,
            reason="同時に対応",
            expected_version=version,
        )
    except services.AlreadyDecided:
        return "already"
    return action


@pytest.fixture
def post(thread_a, other_citizen):
    return channel_services.do_reply(actor=other_citizen, thread=thread_a, body="同時に通報される投稿")


def test_concurrent_submits_of_one_user_count_once(post):
    (user,) = flaggers(1)
    outcomes = run_in_processes(_flag, [(user.pk, post.pk)] * 6)
    assert sorted(outcomes) == ["already"] * 5 + ["flagged"]
    assert Flag.objects.filter(post=post, flagger=user, state="open").count() == 1
    assert QueueItem.objects.get(post=post).flag_count == 1


def test_concurrent_flags_of_distinct_users_hide_once(post):
    users = flaggers(6)
    outcomes = run_in_processes(_flag, [(u.pk, post.pk) for u in users])
    assert outcomes.count("flagged") == 6
    item = QueueItem.objects.get(post=post)
    assert item.flag_count == 6 and item.hold_code == "flag_threshold"
    post.refresh_from_db()
    assert post.visibility == Visibility.HIDDEN
    assert AuditEntry.objects.filter(post=post, action="auto_hide").count() == 1
    assert QueueItem.objects.filter(post=post).count() == 1


def test_two_moderators_at_once_one_decision(post, mod):
    from tests.conftest import make_user

    other = make_user("concurrent.mod@example.jp", pen_name="同時係", verified=True)
    other.groups.add(*mod.groups.all())
    flaggers_ = flaggers(1)
    services.do_flag(actor=flaggers_[0], post=post, reason="spam")
    version = QueueItem.objects.get(post=post).version
    outcomes = run_in_processes(
        _decide, [(mod.pk, post.pk, "hide", version), (other.pk, post.pk, "remove", version)] * 2
    )
    assert sorted(o for o in outcomes if o != "already") in (["hide"], ["remove"])
    assert outcomes.count("already") == 3
    assert AuditEntry.objects.filter(post=post, action__in=["hide", "remove"]).count() == 1


def test_audit_rows_refused_by_the_database_itself(post, mod):
    """The PostgreSQL trigger: even raw SQL cannot change or delete an audit row."""
    from django.db import DatabaseError, transaction

    services.do_decide(actor=mod, post=post, action="hide", reason="理由", expected_version=0)
    entry = AuditEntry.objects.get(action="hide")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE moderation_auditentry SET reason = 'x' WHERE id = %s", [entry.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM moderation_auditentry WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).reason == "理由"


def _reply(user_id, thread_id, n):
    from channels.models import Thread
    from kumagaya_portal.accounts.models import User

    user, thread = User.objects.get(pk=user_id), Thread.objects.get(pk=thread_id)
    for i in range(n):
        channel_services.do_reply(actor=user, thread=thread, body=f"同時の返信 {user_id}-{i}")
    return "replied"


def _hide_and_restore(user_id, post_id, n):
    from channels.models import Post
    from kumagaya_portal.accounts.models import User

    user, post = User.objects.get(pk=user_id), Post.objects.get(pk=post_id)
    for _ in range(n):
        channel_services.do_set_post_visibility(actor=user, post=post, visibility=Visibility.HIDDEN, reason="確認")
        channel_services.do_set_post_visibility(actor=user, post=post, visibility=Visibility.PUBLISHED, reason="戻す")
    return "moderated"


def test_concurrent_replies_and_moderation_keep_the_thread_counts_exact(post, mod, settings):
    """Replies count themselves with one UPDATE while moderators recount the same thread: after
    many of both at once the counters equal a fresh count and "last post" is the newest post."""
    from channels.models import Post, Thread

    settings.MODERATION_NEW_ACCOUNT_POSTS = 0
    repliers = flaggers(4)
    thread = post.thread
    outcomes = run_in_processes(
        lambda kind, *args: _reply(*args) if kind == "reply" else _hide_and_restore(*args),
        [("reply", u.pk, thread.pk, 8) for u in repliers] + [("moderate", mod.pk, post.pk, 6)] * 2,
    )
    assert outcomes.count("replied") == 4 and outcomes.count("moderated") == 2
    counted = Thread.objects.get(pk=thread.pk)
    readable = Post.objects.filter(thread=thread, visibility=Visibility.PUBLISHED, is_deleted_by_author=False)
    assert readable.count() == 2 + 4 * 8
    assert counted.visible_post_count == readable.count()
    newest = readable.order_by("-created_at", "-id").first()
    assert counted.last_post_id == newest.pk and counted.last_activity_at == newest.created_at
