"""Nothing is lost when Redis fails: posts save, pages answer, notifications go out once it is back.

These tests start their OWN redis-server on a free port (the machine's Redis on 6379
serves other work) and stop and start that process: a real outage, no mocks.
"""

import json
import shutil
import socket
import subprocess
import threading
import time
from contextlib import contextmanager

import pytest
import redis
from celery import current_app
from django.core.cache import cache
from django.urls import reverse

from channels.models import Post, Thread
from channels.services import do_create_thread
from kumagaya_portal import outbox
from kumagaya_portal.models import OutboxMessage
from kumagaya_portal.tasks import email_task

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server of our own that the test can stop and start."""

    def __init__(self):
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                if redis.Redis(port=self.port, socket_connect_timeout=0.2).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                redis.Redis(port=self.port).shutdown(nosave=True)
            except redis.ConnectionError:
                pass  # shutdown closes the connection on success
            self.proc.wait(timeout=10)
        assert not self.is_up()

    def is_up(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.2).ping())
        except redis.ConnectionError:
            return False

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def queue(self) -> list[dict]:
        """The Celery messages waiting in the broker (db 0, queue "celery")."""
        client = redis.Redis(port=self.port, db=0)
        return [json.loads(raw) for raw in client.lrange("celery", 0, -1)]


@pytest.fixture
def private_redis():
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@contextmanager
def celery_on(broker_url: str):
    """Celery as in production (not eager) with its broker on the private Redis."""
    conf = current_app.conf
    saved = {k: conf[k] for k in ("broker_url", "task_always_eager", "broker_connection_retry_on_startup")}
    conf.broker_url = broker_url
    conf.task_always_eager = False
    _reset_pools()
    try:
        yield
    finally:
        _reset_pools()
        for k, v in saved.items():
            conf[k] = v


def _reset_pools():
    """Forget broker connections made for another broker URL (kombu keeps global pools)."""
    from kombu import pools

    app = current_app._get_current_object()
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def drain_until_sent(attempts: int = 5) -> int:
    """Beat runs drain every 30 s; the first hand-over after a restart may meet a stale connection."""
    sent = 0
    for _ in range(attempts):
        sent += outbox.drain()
        if outbox.pending_count() == 0:
            break
        time.sleep(0.2)
    return sent


@pytest.fixture
def production_like(private_redis, settings):
    caches = {
        "default": {
            "BACKEND": "kumagaya_portal.cache.ResilientRedisCache",
            "LOCATION": private_redis.url(1),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    # Through pytest-django's `settings` (not override_settings): every override of the test then
    # comes off in reverse order; a nested override_settings left under another one would bring
    # this dead cache back for the tests after this one.
    settings.CACHES = caches
    with celery_on(private_redis.url(0)):
        outbox._backlog = False
        yield private_redis


@pytest.fixture
def thread(citizen, channel_a, settings, django_capture_on_commit_callbacks):
    settings.MODERATION_NEW_ACCOUNT_POSTS = 0  # established authors: no new-account hold
    with django_capture_on_commit_callbacks(execute=False):
        return do_create_thread(
            actor=citizen,
            channel=channel_a,
            title="星川通りの日陰づくり",
            body="ベンチを増やしましょう。",
            kind="public-private",
        )


def _reply(client, thread, body):
    url = reverse("channels:reply", args=[thread.channel.slug, thread.pk])
    form = client.get(url)
    token = form.context["form"].initial["token"]
    return client.post(url, {"body": body, "token": token})


@pytest.mark.django_db
def test_with_redis_down_a_reply_is_saved_and_its_notification_waits_in_the_outbox(
    production_like, client, citizen, stakeholder, thread, django_capture_on_commit_callbacks
):
    redis_server = production_like
    client.force_login(citizen)
    # Someone follows the thread, so the post has somebody to notify.
    try:
        from channels.models import Follow

        Follow.objects.create(user=stakeholder, thread=thread)
    except ImportError:
        pass
    cache.set("warm", 1)
    assert cache.get("warm") == 1

    redis_server.stop()
    began = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = _reply(client, thread, "Redisが止まっていても、この投稿は保存されます。")
    assert response.status_code == 302
    # One refused hand-over (kombu's own connection attempt), then the outbox stops trying.
    assert time.monotonic() - began < 10
    with django_capture_on_commit_callbacks(execute=True):
        began = time.monotonic()
        assert _reply(client, thread, "続けての投稿も待たされません。").status_code == 302
        assert time.monotonic() - began < 2

    post = Post.objects.get(body="Redisが止まっていても、この投稿は保存されます。")
    assert post.thread_id == thread.pk
    waiting = OutboxMessage.objects.filter(sent_at__isnull=True)
    assert waiting.exists(), "posting must queue its notifications through the outbox"
    assert any(m.kwargs.get("post_id") == post.pk for m in waiting)

    # The pages still answer while the cache is unreachable.
    page = client.get(reverse("channels:thread", args=[thread.channel.slug, thread.pk]))
    assert page.status_code == 200
    assert "Redisが止まっていても" in page.content.decode()
    assert client.get("/lab/").status_code == 200
    assert client.get("/").status_code == 200

    # Redis comes back: drain hands every waiting message to the broker, exactly once.
    redis_server.start()
    expected = sorted((m.task_name, json.dumps(m.kwargs, sort_keys=True)) for m in waiting)
    sent = drain_until_sent()
    assert sent == len(expected)
    assert outbox.pending_count() == 0
    assert outbox.drain() == 0
    queued = sorted(
        (message["headers"]["task"], json.dumps(_kwargs(message), sort_keys=True)) for message in redis_server.queue()
    )
    assert queued == expected


def _kwargs(message: dict) -> dict:
    import base64

    body = json.loads(base64.b64decode(message["body"]))
    return body[1]


@pytest.mark.django_db
def test_after_the_outage_waiting_and_new_notifications_each_reach_the_broker_once(
    production_like, citizen, thread, django_capture_on_commit_callbacks
):
    from channels.services import do_reply

    redis_server = production_like
    redis_server.stop()
    with django_capture_on_commit_callbacks(execute=True):
        first = do_reply(actor=citizen, thread=thread, body="停止中の投稿です。")
    assert Post.objects.filter(pk=first.pk).exists()
    waiting = OutboxMessage.objects.filter(sent_at__isnull=True).count()
    assert waiting >= 1

    redis_server.start()
    drain_until_sent()  # what the beat entry does within 30 s
    outbox._paused_until = 0.0  # the pause after the failed hand-over has run out
    with django_capture_on_commit_callbacks(execute=True):
        second = do_reply(actor=citizen, thread=thread, body="復旧後の投稿です。")
    assert outbox.pending_count() == 0
    post_ids = [_kwargs(m).get("post_id") for m in redis_server.queue()]
    assert post_ids.count(first.pk) == 1 and post_ids.count(second.pk) == 1


@pytest.mark.django_db
def test_thread_counters_stay_right_when_redis_is_down(production_like, citizen, thread):
    from channels.services import do_reply

    production_like.stop()
    for i in range(3):
        do_reply(actor=citizen, thread=thread, body=f"停止中の返信 {i}")
    thread = Thread.objects.get(pk=thread.pk)
    published = Post.objects.filter(thread=thread, visibility="published")
    assert thread.visible_post_count == published.count()
    assert thread.last_post_id == published.order_by("-created_at", "-id").first().pk


def test_the_cache_degrades_to_misses_and_recovers(private_redis):
    from kumagaya_portal.cache import ResilientRedisCache

    backend = ResilientRedisCache(private_redis.url(2), {"OPTIONS": {"socket_connect_timeout": 1}})
    backend.set("k", "v")
    assert backend.get("k") == "v"
    private_redis.stop()
    began = time.monotonic()
    assert backend.get("k") is None
    assert backend.get("k", "default") == "default"
    assert backend.set("k", "w") is False
    assert backend.add("k2", 1) is False
    assert backend.get_many(["k", "k2"]) == {}
    assert backend.incr("n", 3) == 3
    assert backend.delete("k") is False
    assert time.monotonic() - began < 2.5  # refused connections, then the circuit stays open
    private_redis.start()
    time.sleep(ResilientRedisCache.RETRY_AFTER + 0.1)
    backend.set("k", "again")
    assert backend.get("k") == "again"


def test_email_tasks_retry_with_backoff_on_a_real_worker(private_redis):
    """An SMTP outage: the task fails twice, Celery retries it later, and the third attempt delivers."""
    from celery.contrib.testing.worker import start_worker

    attempts: list[float] = []
    delivered = threading.Event()

    @email_task(name="tests.resilience.send_mail", retry_backoff=1, retry_jitter=False)
    def send_mail(to: str) -> str:
        attempts.append(time.monotonic())
        if len(attempts) < 3:
            raise ConnectionRefusedError("SMTP server is down")
        delivered.set()
        return to

    with celery_on(private_redis.url(0)):
        app = current_app._get_current_object()
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            send_mail.delay("citizen@example.jp")
            assert delivered.wait(30), f"delivered after {len(attempts)} attempts"
    assert len(attempts) == 3
    # Exponential backoff: about 1 s, then about 2 s.
    assert attempts[1] - attempts[0] >= 0.9
    assert attempts[2] - attempts[1] >= 1.9
