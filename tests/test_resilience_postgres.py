"""PostgreSQL restarted under load: a friendly 503 meanwhile, service again after, no half-written post.

The test creates its OWN PostgreSQL cluster (initdb in a temporary directory, a free
port) — the machine's server on 5432 serves other work — runs the portal on it with
gunicorn under production settings, drives replies and page views from several
threads, stops the cluster (`pg_ctl stop -m fast`: open transactions are cut off),
starts it again and checks every answer and the data left behind.
"""

import glob
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = next(
    (Path(p).parent for p in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)),
    Path(shutil.which("initdb") or "/nonexistent").parent,
)
HAVE_PG = (PG_BIN / "initdb").exists() and (PG_BIN / "pg_ctl").exists()

# Runs under SQLite too (the cluster is its own); skipped only without the server binaries.
pytestmark = pytest.mark.skipif(not HAVE_PG, reason="PostgreSQL server binaries (initdb, pg_ctl) are not installed")

FRIENDLY = "ただいま表示できません"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A throw-away PostgreSQL cluster owned by this test."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="kumagaya-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0  # initdb refuses to run as root
        if self.as_postgres:
            os.chmod(self.dir, 0o755)  # noqa: S103 - the postgres user must enter it
            shutil.chown(self.dir, "postgres", "postgres")

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(PG_BIN / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=check)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "server.log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def url(self, db: str = "kumagaya") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def production_env(database_url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "REDIS_URL", "DJANGO_SETTINGS"))}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="kumagaya_portal.settings",
        TESTING="0",
        LOG_LEVEL="ERROR",
        MODERATION_NEW_ACCOUNT_POSTS="0",
        # The load here is many replies a minute from few sessions; rate limits would mask recovery.
        POST_RATE_LIMITS="0",
    )
    env.update(extra)
    return env


SETUP = r"""
import json, django
django.setup()
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.middleware.csrf import _get_new_csrf_string
from django.urls import reverse
from allauth.account.models import EmailAddress
from channels.models import Channel, PostingPolicy, Tier
from channels.services import do_create_thread
from kumagaya_portal.accounts.models import User

channel = Channel.objects.filter(tier_id=Tier.A, members_only=False, posting_policy=PostingPolicy.OPEN).order_by("number").first()
cookies = []
author = None
for i in range(8):
    user = User.objects.create_user(
        email=f"load{i}@example.jp", password="pw-kumagaya-2024", pen_name=f"負荷試験{i}",
        guidelines_version=settings.GUIDELINES_VERSION,
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    cookies.append(store.session_key)
    author = author or user
thread = do_create_thread(actor=author, channel=channel, title="再起動の試験", body="最初の投稿です。", kind="public-private")
print("SETUP " + json.dumps({
    "sessions": cookies,
    "thread": thread.pk,
    "thread_url": reverse("channels:thread", args=[channel.slug, thread.pk]),
    "reply_url": reverse("channels:reply", args=[channel.slug, thread.pk]),
    "csrf": _get_new_csrf_string(),
}))
"""


@pytest.fixture(scope="module")
def portal():
    cluster = Cluster()
    server = None
    try:
        cluster.init()
        cluster.start()
        import psycopg

        with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE kumagaya")
        env = production_env(cluster.url())
        for args in (["migrate", "--noinput", "-v0"], ["load_kumagaya", "-v0"], ["collectstatic", "--noinput", "-v0"]):
            subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, timeout=600)
        out = subprocess.run(
            [sys.executable, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=120
        )
        info = json.loads(next(line for line in out.stdout.splitlines() if line.startswith("SETUP ")).split(" ", 1)[1])
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "kumagaya_portal.wsgi:application"],
            cwd=ROOT,
            env={
                **env,
                "GUNICORN_BIND": f"127.0.0.1:{port}",
                "WEB_CONCURRENCY": "2",
                "GUNICORN_THREADS": "2",
                "GUNICORN_ACCESS_LOG": "",
            },
            stdout=subprocess.DEVNULL,
            stderr=open(cluster.dir / "gunicorn.log", "w"),  # noqa: SIM115
            start_new_session=True,
        )
        for _ in range(300):
            try:
                if request(port, "GET", info["thread_url"], info)[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not answer")
        yield {"port": port, "cluster": cluster, **info}
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        cluster.remove()


def request(port: int, method: str, path: str, info: dict, n: int = 0) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    session = info["sessions"][n % len(info["sessions"])]
    headers = {"Cookie": f"sessionid={session}; csrftoken={info['csrf']}", "Host": "127.0.0.1"}
    body = None
    if method == "POST":
        body = (
            f"body=%E5%86%8D%E8%B5%B7%E5%8B%95%E4%B8%AD%E3%81%AE%E8%BF%94%E4%BF%A1+{n}"
            f"&token={secrets.token_hex(16)}&csrfmiddlewaretoken={info['csrf']}"
        )
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def test_a_database_restart_under_load_fails_cleanly_and_recovers(portal):
    results: list[tuple[float, str, int, str]] = []
    failures: list[str] = []
    stop = threading.Event()
    counter = iter(range(10_000_000))
    lock = threading.Lock()

    def load(worker: int):
        while not stop.is_set():
            with lock:
                n = next(counter)
            method, path = ("POST", portal["reply_url"]) if n % 2 else ("GET", portal["thread_url"])
            try:
                status, body = request(portal["port"], method, path, portal, n)
            except OSError as exc:  # no HTTP answer at all
                failures.append(f"{method} {exc!r}")
                continue
            results.append((time.monotonic(), method, status, body if status >= 500 else ""))
            # A replying citizen stays within the posting rate limit (5 a minute per person).
            time.sleep(0.05)

    workers = [threading.Thread(target=load, args=(i,)) for i in range(4)]
    for w in workers:
        w.start()
    time.sleep(3)
    portal["cluster"].stop()  # a fast shutdown lets the transactions under way finish first
    down_at = time.monotonic()  # from here on nothing answers
    time.sleep(3)
    starting_at = time.monotonic()
    portal["cluster"].start()
    up_at = time.monotonic()
    time.sleep(8)
    stop.set()
    for w in workers:
        w.join(timeout=60)

    assert not failures, failures[:5]
    statuses = {status for _, _, status, _ in results}
    assert statuses <= {200, 302, 429, 503}, statuses
    during = [r for r in results if down_at + 0.5 < r[0] < starting_at]
    assert during and all(r[2] == 503 for r in during), {r[2] for r in during}
    for _, _, status, body in results:
        if status >= 500:
            assert FRIENDLY in body and "Traceback" not in body
            assert 'lang="ja"' in body
    # Service is back: the last seconds answer normally.
    tail = [r for r in results if r[0] > up_at + 4]
    assert tail and all(r[2] in (200, 302, 429) for r in tail), {r[2] for r in tail}
    assert any(r[1] == "POST" and r[2] == 302 for r in tail), "replies are accepted again"

    # No half-written post: every post complete, the thread's counters agree with its posts.
    import psycopg

    with psycopg.connect(portal["cluster"].url()) as conn:
        thread = conn.execute(
            "SELECT visible_post_count, last_post_id FROM channels_thread WHERE id = %s", [portal["thread"]]
        ).fetchone()
        readable = conn.execute(
            "SELECT id FROM channels_post WHERE thread_id = %s AND visibility = 'published' "
            "AND NOT is_deleted_by_author ORDER BY created_at DESC, id DESC",
            [portal["thread"]],
        ).fetchall()
        incomplete = conn.execute(
            "SELECT count(*) FROM channels_post WHERE thread_id = %s AND (body = '' OR body_html = '')",
            [portal["thread"]],
        ).fetchone()[0]
    accepted = sum(1 for _, method, status, _ in results if method == "POST" and status == 302)
    assert incomplete == 0
    assert thread[0] == len(readable)
    assert thread[1] == readable[0][0]
    # Every reply the portal confirmed is stored (the first post is the thread's own).
    assert len(readable) >= accepted + 1
