# ruff: noqa: S603, S607 — runs gunicorn, wrk, psql and manage.py, by design
"""`make bench`: the portal under gunicorn and wrk, side by side with a floor, on PostgreSQL and Redis.

    make bench                      # full scale (1,000,000 posts); BENCH_SCALE=0.01 for a quick run

Environment (defaults in brackets):
    DATABASE_URL  [postgres://postgres@127.0.0.1:5432/kumagaya_bench; kumagaya_bench_<scale> below
                  scale 1, e.g. kumagaya_bench_0_01, so a quick run keeps the full data set]
    REDIS_URL     [redis://127.0.0.1:6379/6]
    BENCH_SCALE [1]  BENCH_DURATION [10] seconds per case  BENCH_CONNECTIONS [16]  BENCH_WARMUP [2]
    BENCH_PORT [8060] (the next three ports serve the floor, the small data set and the
    full one with the page cache off, for the thread page's size comparison)
    BENCH_COMPARE_SMALL [1 when BENCH_SCALE > 0.01]: also measure the thread page on a 10,000-post copy
    BENCH_REGENERATE=1: generate the data set again even if one at this scale exists
    WEB_CONCURRENCY, GUNICORN_THREADS: as in gunicorn.conf.py (used for portal and floor alike)

Writes bench/results/<date>-<HHMM>-<scale>.md (and .json) and prints the table. Replies left
by an earlier run are deleted first, so every run measures the same data.
"""

import datetime as dt
import json
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JST = dt.timezone(dt.timedelta(hours=9), "JST")
RESULTS = ROOT / "bench" / "results"
LUA = ROOT / "bench" / "wrk" / "bench.lua"
PY = sys.executable

TARGET_P95_MS = 100
TARGET_SEARCH_P95_MS = 150
TARGET_REPLY_P95_MS = 150
TARGET_FLOOR_RATIO = 0.7
TARGET_SCALING = 1.10
# Signed-in sessions the signed-in cases rotate over: enough that the reply case stays under
# each citizen's posting rate limit at several hundred replies a second.
CITIZEN_SESSIONS = 2000


def log(msg: str) -> None:
    # Always in Japan time (as the result files): Django's setup changes the process's TZ midway.
    now = dt.datetime.now(JST)
    print(f"[bench {now:%H:%M:%S}] {msg}", flush=True)


# -------------------------------------------------------------- settings
@dataclass
class Config:
    scale: float
    database_url: str
    redis_url: str
    duration: int
    connections: int
    warmup: int
    port: int
    compare_small: bool
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))

    @classmethod
    def from_env(cls) -> "Config":
        """BENCH_* and DATABASE_URL / REDIS_URL (see the module docstring)."""
        scale = float(os.environ.get("BENCH_SCALE", "1"))
        return cls(
            scale=scale,
            database_url=os.environ.get("DATABASE_URL") or default_database_url(scale),
            redis_url=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/6",
            duration=int(os.environ.get("BENCH_DURATION", "10")),
            connections=int(os.environ.get("BENCH_CONNECTIONS", "16")),
            warmup=int(os.environ.get("BENCH_WARMUP", "2")),
            port=int(os.environ.get("BENCH_PORT", "8060")),
            compare_small=os.environ.get("BENCH_COMPARE_SMALL", "1" if scale > 0.01 else "0") == "1",
        )

    @property
    def small_database_url(self) -> str:
        parts = urllib.parse.urlsplit(self.database_url)
        return urllib.parse.urlunsplit(parts._replace(path=parts.path + "_small"))

    def production_env(self, database_url: str | None = None, **extra) -> dict:
        """Production settings, plain HTTP on 127.0.0.1 (no TLS proxy in front of the benchmark)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCH_", "PYTEST"))}
        env.update(
            DEBUG="0",
            SECRET_KEY=self.secret_key,
            ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
            SECURE_SSL_REDIRECT="0",
            DATABASE_URL=database_url or self.database_url,
            REDIS_URL=self.redis_url,
            DB_CONN_MAX_AGE="600",
            DJANGO_SETTINGS_MODULE="kumagaya_portal.settings",
            GUNICORN_ACCESS_LOG="",
            LOG_LEVEL="WARNING",
            TESTING="0",
        )
        env.update(extra)
        return env


# ---------------------------------------------------------------- machine
def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    redis = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.strip()
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgres": pg,
        "redis": redis.split(" sha=")[0],
        "wrk": (wrk.stdout or wrk.stderr).splitlines()[0] if (wrk.stdout or wrk.stderr) else "wrk",
    }


def default_database_url(scale: float) -> str:
    """One database per scale: a quick run never replaces the full data set."""
    name = "kumagaya_bench" if scale == 1 else "kumagaya_bench_" + f"{scale:g}".replace(".", "_")
    return f"postgres://postgres@127.0.0.1:5432/{name}"


# ---------------------------------------------------------------- servers
class Server:
    """A gunicorn master (gunicorn.conf.py) on 127.0.0.1:port, with its workers' peak memory sampled."""

    def __init__(self, app: str, port: int, env: dict, logfile: Path):
        self.app, self.port, self.env, self.logfile = app, port, env, logfile
        self.proc: subprocess.Popen | None = None
        self.peak_worker_kb = 0
        self.peak_total_kb = 0
        self._stop = threading.Event()

    def __enter__(self) -> "Server":
        env = {**self.env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self._log = open(self.logfile, "a")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [PY, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), self.app],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn {self.app} exited; see {self.logfile}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"gunicorn {self.app} did not listen on {self.port}")

    def workers(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
            return [int(c) for c in children]
        except OSError:
            return []

    @staticmethod
    def _status_kb(pid: int, key: str) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _sample(self) -> None:
        while not self._stop.is_set():
            pids = self.workers()
            hwm = [self._status_kb(p, "VmHWM") for p in pids]
            rss = [self._status_kb(p, "VmRSS") for p in pids]
            if hwm:
                self.peak_worker_kb = max(self.peak_worker_kb, *hwm)
            self.peak_total_kb = max(self.peak_total_kb, sum(rss))
            self._stop.wait(0.5)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


# -------------------------------------------------------------------- wrk
@dataclass
class Case:
    key: str
    label: str
    path: str
    method: str = "GET"
    cookies: Path | None = None
    body: str | None = None
    dynamic: bool = True  # compared with the floor
    bust: bool = False  # a unique query parameter per request: rendered every time, never a cache hit
    p95_target: float = TARGET_P95_MS
    queries: str = ""
    note: str = ""
    result: dict = field(default_factory=dict)


def wrk(url: str, seconds: int, connections: int, case: Case | None = None) -> dict:
    env = dict(os.environ)
    if case is not None:
        if case.cookies:
            env["BENCH_COOKIES"] = str(case.cookies)
        env["BENCH_METHOD"] = case.method
        if case.bust:
            env["BENCH_BUST"] = "1"
        if case.body:
            env["BENCH_BODY"] = case.body
    threads = max(1, min(2, connections))
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(LUA), url],
        capture_output=True,
        text=True,
        env=env,
        timeout=seconds + 60,
    )
    for line in out.stdout.splitlines():
        if line.startswith("BENCHJSON "):
            return json.loads(line.split(" ", 1)[1])
    raise RuntimeError(f"wrk gave no result for {url}: {out.stdout}\n{out.stderr}")


def measure(server: Server, case: Case, cfg: Config) -> dict:
    if cfg.warmup:
        wrk(server.url(case.path), cfg.warmup, cfg.connections, case)
    load_before = os.getloadavg()[0]
    result = wrk(server.url(case.path), cfg.duration, cfg.connections, case)
    result["load_before"] = round(load_before, 2)
    result["load_after"] = round(os.getloadavg()[0], 2)
    result["peak_worker_mb"] = round(server.peak_worker_kb / 1024, 1)
    result["peak_total_mb"] = round(server.peak_total_kb / 1024, 1)
    errors = _errors(result)
    log(
        f"{case.label}: {result['rps']:.1f} req/s, p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms{f', {errors} errors' if errors else ''} (load {result['load_after']})"
    )
    return result


# --------------------------------------------------------- prepare / django
def prepare(cfg: Config, database_url: str, scale: float) -> dict:
    env = cfg.production_env(database_url, BENCH_SCALE=str(scale), DEBUG="0")
    if os.environ.get("BENCH_REGENERATE"):
        env["BENCH_REGENERATE"] = os.environ["BENCH_REGENERATE"]
    out = subprocess.run([PY, "-m", "bench.prepare"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, check=True)
    for line in out.stdout.splitlines():
        if line.startswith("BENCHMETA "):
            return json.loads(line.split(" ", 1)[1])
        print(line)
    raise RuntimeError("bench.prepare printed no BENCHMETA line")


def setup_django(cfg: Config) -> None:
    os.environ.update(cfg.production_env())
    import django

    django.setup()


def sessions(user_ids: list[int], csrf_secret: str, path: Path) -> Path:
    """Signed-in sessions made directly in the session store (as a login would), one Cookie header per line."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    lines = []
    for user in get_user_model().objects.filter(pk__in=user_ids):
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        lines.append(f"sessionid={store.session_key}; csrftoken={csrf_secret}")
    path.write_text("\n".join(lines) + "\n")
    return path


def count_queries(case: Case, cookie_file: Path | None) -> tuple[str, int]:
    """SQL queries of one request (after one warm-up request), measured in-process with the test client."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    if cookie_file:
        line = cookie_file.read_text().splitlines()[0]
        for part in line.split("; "):
            name, value = part.split("=", 1)
            client.cookies[name] = value

    def request(n: int):
        if case.method == "POST":
            body = case.body.replace("{n}", str(10_000_000 + n)).replace("{token}", secrets.token_hex(16))
            return client.generic("POST", case.path, body, content_type="application/x-www-form-urlencoded")
        return client.get(case.path)

    if case.bust:
        request(0)
        sep = "&" if "?" in case.path else "?"
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(case.path + f"{sep}bench-miss={secrets.token_hex(4)}")
        return f"{len(ctx.captured_queries)} (rendered)", response.status_code
    first = request(0)
    with CaptureQueriesContext(connection) as ctx:
        second = request(1)
    note = "" if first.status_code == second.status_code else f" (first {first.status_code})"
    hit = second.headers.get("X-Page-Cache")
    if hit == "hit":
        # The first request rendered and stored the page: count that one too.
        with CaptureQueriesContext(connection) as miss_ctx:
            sep = "&" if "?" in case.path else "?"
            client.get(case.path + f"{sep}bench-miss={secrets.token_hex(4)}")
        return f"{len(ctx.captured_queries)} (cache hit) / {len(miss_ctx.captured_queries)} (miss)", second.status_code
    return f"{len(ctx.captured_queries)}{note}", second.status_code


def _page_label(label: str) -> str:
    """A case's label without its cache note (the size comparison renders every request)."""
    return label.replace("; anonymous: page cache)", ")").replace(" (anonymous: page cache)", "")


def dataset(meta: dict) -> dict:
    from django.db import connection

    tables = {
        "users": "accounts_user",
        "channels": "channels_channel",
        "threads": "channels_thread",
        "posts": "channels_post",
        "flags": "moderation_flag",
        "moderation queue items": "moderation_queueitem",
        "archive meetings": "archive_meeting",
        "Wagtail pages": "wagtailcore_page",
        "search index rows": "search_searchdocument",
        "outbox messages": "kumagaya_portal_outboxmessage",
    }
    counts = {}
    with connection.cursor() as cursor:
        for label, table in tables.items():
            cursor.execute("SELECT to_regclass(%s)", [table])
            if cursor.fetchone()[0] is None:
                continue
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
            counts[label] = cursor.fetchone()[0]
        cursor.execute("SELECT pg_database_size(current_database())")
        size = cursor.fetchone()[0]
    return {"rows": counts, "database_size_mb": round(size / 1024 / 1024, 1)}


REPLY_PREFIX = "ベンチマークの返信です。"


def reset_reply_thread(meta: dict) -> int:
    """Every run measures the same data: the replies earlier runs posted (and their delivered
    outbox rows) are deleted, and the thread's counters recounted."""
    from django.db import transaction

    from channels.models import Post, Thread
    from channels.services import recount_thread
    from kumagaya_portal.models import OutboxMessage

    with transaction.atomic():
        thread = Thread.objects.get(pk=meta["thread_reply"])
        _total, per_model = Post.objects.filter(thread=thread, body__startswith=REPLY_PREFIX).delete()
        removed = per_model.get(Post._meta.label, 0)
        OutboxMessage.objects.filter(sent_at__isnull=False).delete()
        if removed:
            recount_thread(thread)
    return removed


# ------------------------------------------------------------------ cases
def build_cases(meta: dict, tmp: Path) -> tuple[list[Case], dict]:
    from django.contrib.auth import get_user_model
    from django.middleware.csrf import _get_new_csrf_string
    from django.urls import NoReverseMatch, reverse

    from channels.models import Channel, Thread

    User = get_user_model()
    csrf = _get_new_csrf_string()
    info: dict = {"skipped": []}
    thread = Thread.objects.select_related("channel").get(pk=meta["thread_200"])
    reply_thread = Thread.objects.select_related("channel").get(pk=meta["thread_reply"])
    channel = thread.channel
    posts_per_page = 50
    try:
        from django.conf import settings

        posts_per_page = settings.POSTS_PER_PAGE
    except AttributeError:
        pass
    last_page = -(-thread.posts.count() // posts_per_page)

    # Citizens for the signed-in cases: ordinary bench users with posts behind them (no new-account hold).
    citizens = list(
        User.objects.filter(email__startswith="bench-user-", is_city_staff=False)
        .exclude(pk=meta["personas"]["moderator"])
        .order_by("pk")
        .values_list("pk", flat=True)[:CITIZEN_SESSIONS]
    )
    citizen_cookies = sessions(citizens, csrf, tmp / "citizens.txt")
    moderator_cookies = sessions([meta["personas"]["moderator"]], csrf, tmp / "moderator.txt")

    def url(name: str, *args) -> str | None:
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            return None

    cases = [
        Case("lab", "Lab home /lab/ (anonymous: page cache)", url("channels:lab") or "/lab/"),
        Case(
            "channel", f"A channel page ({channel.slug}; anonymous: page cache)", url("channels:channel", channel.slug)
        ),
        Case(
            "thread_first",
            "Thread, 200 posts: first page (anonymous: page cache)",
            url("channels:thread", channel.slug, thread.pk),
        ),
        Case(
            "thread_signed_in",
            "Thread, 200 posts: first page (signed in: rendered)",
            url("channels:thread", channel.slug, thread.pk),
            cookies=citizen_cookies,
        ),
        Case(
            "thread_last",
            f"Thread, 200 posts: last page ({last_page}; anonymous: page cache)",
            url("channels:thread", channel.slug, thread.pk) + f"?page={last_page}",
        ),
        Case("archive", "Archive /archive/ (anonymous: page cache)", url("archive:index") or "/archive/"),
        Case(
            "archive_signed_in",
            "Archive /archive/ (signed in: shared audience copy)",
            url("archive:index") or "/archive/",
            cookies=citizen_cookies,
        ),
    ]
    if meta.get("news_url"):
        cases.append(Case("news", "Wagtail NewsPage (anonymous: page cache)", meta["news_url"]))
        cases.append(
            Case(
                "news_signed_in",
                "Wagtail NewsPage (signed in: shared audience copy)",
                meta["news_url"],
                cookies=citizen_cookies,
            )
        )
    else:
        info["skipped"].append("Wagtail news page: cms.NewsPage not available when the data was generated")
    search = url("search:search")
    if search:
        cases.append(
            Case(
                "search",
                "Search /search/?q=市民 (anonymous: page cache)",
                search + "?q=" + urllib.parse.quote("市民"),
                p95_target=TARGET_SEARCH_P95_MS,
            )
        )
    else:
        info["skipped"].append("search: /search/ does not exist")
    reply = url("channels:reply", reply_thread.channel.slug, reply_thread.pk)
    if reply:
        body = (
            "body="
            + urllib.parse.quote(REPLY_PREFIX + "熊谷駅前の暑さ対策について、市民の声として書き込みます。")
            + "+{n}&token={token}&csrfmiddlewaretoken="
            + csrf
        )
        cases.append(
            Case(
                "reply",
                "Post a reply (signed in)",
                reply,
                method="POST",
                cookies=citizen_cookies,
                body=body,
                p95_target=TARGET_REPLY_P95_MS,
                note="302 to the new post; notifications queued (outbox → Redis broker)",
            )
        )
    else:
        info["skipped"].append("reply: no channels:reply URL")
    queue = url("moderation:queue")
    try:
        from moderation import views as _moderation_views  # noqa: F401
    except ImportError:
        queue = None
    if queue:
        cases.append(
            Case("moderation", "Moderation queue (moderator: own cached copy)", queue, cookies=moderator_cookies)
        )
        cases.append(
            Case(
                "moderation_rendered",
                "Moderation queue (moderator: rendered)",
                queue,
                cookies=moderator_cookies,
                bust=True,
                note="a unique query parameter on every request: as when flags keep arriving",
            )
        )
    else:
        info["skipped"].append("moderation queue: /moderation/ does not exist")
    info.update(
        thread_id=thread.pk,
        thread_posts=thread.posts.count(),
        channel=channel.slug,
        channel_id=Channel.objects.get(slug=channel.slug).pk,
        csrf=csrf,
    )
    return [c for c in cases if c.path], info


# ----------------------------------------------------------------- report
def fmt(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _errors(r: dict) -> int:
    """Failed requests: non-2xx/3xx, socket errors, timeouts, and replies that were not saved."""
    return r["non_2xx_3xx"] + r["connect_errors"] + r["read_errors"] + r["timeouts"] + r.get("unexpected_status", 0)


def report(
    cfg: Config,
    meta: dict,
    cases: list[Case],
    floor: list[dict],
    small: dict,
    scaling: dict,
    info: dict,
    env: dict,
) -> str:
    when = dt.datetime.now().astimezone()
    m = env["machine"]
    floor_rps = [f["rps"] for f in floor]
    floor_p95 = sorted(f["p95_ms"] for f in floor)
    loads = [r["load_after"] for r in floor] + [c.result["load_after"] for c in cases if c.result]
    lines = [
        f"# Benchmark {when:%Y-%m-%d %H:%M %Z} — scale {cfg.scale:g}",
        "",
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, Linux {m['kernel']}, Python {m['python']}, "
        f"{m['postgres']}, {m['redis']}, {m['wrk']}. PostgreSQL, Redis, gunicorn and wrk all run on these cores; "
        f"the 1-minute load average after each case went from {min(loads):.1f} to {max(loads):.1f}.",
        "",
        f"Server: gunicorn (gunicorn.conf.py) with {env['workers']} workers × {env['threads']} threads "
        f"({env['worker_class']}), production settings (DEBUG=0, persistent database connections with health "
        "checks, Redis cache and Celery broker, access log off), plain HTTP on 127.0.0.1. "
        f"Load: wrk, {cfg.connections} connections, {cfg.duration} s per case after a {cfg.warmup} s warm-up. "
        "The floor (bench/floor_settings.py: one view, one query for 50 posts with their authors, one template, "
        "no middleware, same database, same gunicorn configuration) is measured before the first case and after "
        "every case; × floor compares a case with the two floor runs around it.",
        "",
        "| page | req/s | p50 ms | p95 ms | p99 ms | × floor | SQL queries | errors | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| floor ({len(floor)} runs: median, range) | {fmt(statistics.median(floor_rps))} "
        f"({fmt(min(floor_rps))}–{fmt(max(floor_rps))}) | {fmt(statistics.median(f['p50_ms'] for f in floor))} | "
        f"{fmt(statistics.median(floor_p95))} | {fmt(statistics.median(f['p99_ms'] for f in floor))} | 1.00 | 1 | "
        f"{sum(_errors(f) for f in floor)} | |",
    ]
    for c in cases:
        r = c.result
        if not r:
            continue
        lines.append(
            f"| {c.label} | {fmt(r['rps'])} | {fmt(r['p50_ms'])} | {fmt(r['p95_ms'])} | {fmt(r['p99_ms'])} | "
            f"{r['rps'] / r['floor_rps']:.2f} | {c.queries} | {_errors(r)} | {r['load_after']} |"
        )
    peak_worker = max([c.result.get("peak_worker_mb", 0) for c in cases if c.result] + [0])
    peak_total = max([c.result.get("peak_total_mb", 0) for c in cases if c.result] + [0])
    lines += [
        "",
        f"Workers' peak memory: {peak_worker} MB for the largest worker (VmHWM); all portal workers together "
        f"at most {peak_total} MB (VmRSS, sampled every 0.5 s).",
    ]
    if scaling:
        lines += [
            "",
            "Thread page on the full data set and on a 10,000-post copy (scale 0.01), rendered on every "
            "request (page cache off), one connection, measured alternately, three rounds:",
            "",
            "| page | data set | req/s | p50 ms | p95 ms | load |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for key, rounds in scaling.items():
            label = _page_label(next(c.label for c in cases if c.key == key))
            for big, little in rounds:
                for name, r in ((meta.get("posts_total", "full") + " posts", big), ("10,000 posts", little)):
                    lines.append(
                        f"| {label} | {name} | {fmt(r['rps'])} | {fmt(r['p50_ms'])} | {fmt(r['p95_ms'])} | {r['load_after']} |"
                    )
    lines += ["", "## Targets", "", "| target | measured | |", "|---|---|---|"]
    targets = []
    for c in cases:
        r = c.result
        if not r:
            continue
        if c.dynamic:
            ratio = r["rps"] / r["floor_rps"]
            targets.append(
                (f"{c.label}: ≥ {TARGET_FLOOR_RATIO} × floor req/s", f"{ratio:.2f} ×", ratio >= TARGET_FLOOR_RATIO)
            )
        targets.append((f"{c.label}: p95 ≤ {c.p95_target:g} ms", f"{fmt(r['p95_ms'])} ms", r["p95_ms"] <= c.p95_target))
        if _errors(r):
            targets.append((f"{c.label}: no failed requests", f"{_errors(r)} failed", False))
    for key, rounds in scaling.items():
        big_p50 = sorted(b["p50_ms"] for b, _ in rounds)[len(rounds) // 2]
        small_p50 = sorted(s_["p50_ms"] for _, s_ in rounds)[len(rounds) // 2]
        slower = big_p50 / max(small_p50, 0.01)
        label = _page_label(next(c.label for c in cases if c.key == key))
        targets.append(
            (
                f"{label} at {meta.get('posts_total', 'full')} posts ≤ 10% slower than at 10,000 "
                "(rendered, one connection, median of three alternating rounds)",
                f"p50 {big_p50:.1f} vs {small_p50:.1f} ms ({slower:.2f}×)",
                slower <= TARGET_SCALING,
            )
        )
    lines += [f"| {t} | {v} | {verdict(ok)} |" for t, v, ok in targets]
    ds = env["dataset"]
    lines += [
        "",
        "## Data set",
        "",
        "| rows | count |",
        "|---|---:|",
        *[f"| {k} | {v:,} |" for k, v in ds["rows"].items()],
        "",
        f"Database size (pg_database_size): {fmt(ds['database_size_mb'])} MB. "
        f"Generated in {meta.get('seconds', '?')} s by bench.generate v{meta.get('version')} on {meta.get('generated_at')}.",
    ]
    if info.get("skipped"):
        lines += ["", "Not measured: " + "; ".join(info["skipped"]) + "."]
    notes = [c for c in cases if c.note]
    if notes:
        lines += ["", *[f"- {c.label}: {c.note}" for c in notes]]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------- main
def clear_broker_queue(redis_url: str) -> int:
    try:
        import redis

        client = redis.Redis.from_url(redis_url)
        n = client.llen("celery")
        client.delete("celery")
        return n
    except Exception:  # noqa: BLE001 - cleanup only
        return 0


def preflight() -> None:
    """Stop at once, with what to install, when a tool the run needs is missing."""
    import shutil

    missing = [tool for tool in ("wrk",) if shutil.which(tool) is None]
    if missing:
        sys.exit(
            f"make bench needs {', '.join(missing)}: on Debian, apt-get install wrk "
            "(and a running PostgreSQL and Redis, see README › Performance)."
        )


def main() -> None:
    preflight()
    cfg = Config.from_env()
    RESULTS.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS / f".run-{os.getpid()}.tmp"
    tmp.mkdir(exist_ok=True)
    log(f"scale {cfg.scale:g}; database {cfg.database_url}; redis {cfg.redis_url}")

    meta = prepare(cfg, cfg.database_url, cfg.scale)
    small_meta = prepare(cfg, cfg.small_database_url, 0.01) if cfg.compare_small else None
    log("collectstatic")
    subprocess.run(
        [PY, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=cfg.production_env(), check=True
    )

    setup_django(cfg)
    cases, info = build_cases(meta, tmp)
    removed = reset_reply_thread(meta)
    if removed:
        log(f"removed {removed:,} replies left by earlier runs (and their sent outbox rows)")
    data_set = dataset(meta)  # before this run's own replies
    meta["posts_total"] = f"{data_set['rows'].get('posts', 0):,}"
    log("SQL queries per page (test client, in-process)")
    for case in cases:
        case.queries, status = count_queries(case, case.cookies)
        if status >= 400:
            case.note = (case.note + "; " if case.note else "") + f"answered {status} to the test client"
        log(f"  {case.label}: {case.queries} queries, status {status}")

    import multiprocessing

    conf_env = {
        "workers": int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count() + 1),
        "threads": int(os.environ.get("GUNICORN_THREADS") or 1),
    }
    conf_env["worker_class"] = "gthread" if conf_env["threads"] > 1 else "sync"
    logfile = tmp / "gunicorn.log"
    floor_path = f"/floor/?thread={info['thread_id']}"
    floor_case = Case("floor", "floor", floor_path, dynamic=False)
    floor_env = cfg.production_env(DJANGO_SETTINGS_MODULE="bench.floor_settings")

    # All servers up at once (an idle gunicorn costs nothing); measurements strictly one at a time.
    # The floor is measured between every two cases, and each case is compared with the floor
    # runs right before and after it, so drifting load on the shared machine cancels out.
    floor_results: list[dict] = []
    small: dict = {}
    scaling: dict = {}
    with (
        Server("bench.floor_wsgi:application", cfg.port + 1, floor_env, logfile) as floor_server,
        Server("kumagaya_portal.wsgi:application", cfg.port, cfg.production_env(), logfile) as server,
    ):
        floor_results.append(measure(floor_server, floor_case, cfg))
        for case in cases:
            case.result = measure(server, case, cfg)
            floor_results.append(measure(floor_server, floor_case, cfg))
            case.result["floor_rps"] = (floor_results[-2]["rps"] + floor_results[-1]["rps"]) / 2
        if small_meta:
            log("thread page: 1,000,000-post and 10,000-post data sets, back to back")
            import psycopg
            from django.urls import reverse

            with psycopg.connect(cfg.small_database_url) as conn:
                slug = conn.execute(
                    "SELECT c.slug FROM channels_thread t JOIN channels_channel c ON c.id = t.channel_id WHERE t.id = %s",
                    [small_meta["thread_200"]],
                ).fetchone()[0]
            base = reverse("channels:thread", args=[slug, small_meta["thread_200"]])
            # Both sizes rendered on every request (page cache off): the comparison is about the
            # queries and the rendering, which a cache hit would hide.
            small_env = cfg.production_env(cfg.small_database_url, PAGE_CACHE_SECONDS="0")
            big_env = cfg.production_env(PAGE_CACHE_SECONDS="0")
            with (
                Server("kumagaya_portal.wsgi:application", cfg.port + 2, small_env, logfile) as small_server,
                Server("kumagaya_portal.wsgi:application", cfg.port + 3, big_env, logfile) as big_server,
            ):
                # One connection (service time, not queueing), alternating, three rounds: under a
                # shared machine's changing load this compares the two sizes far more fairly.
                sequential = Config(**{**cfg.__dict__, "connections": 1})
                for case in [c for c in cases if c.key in ("thread_first", "thread_last")]:
                    query = "?" + case.path.split("?", 1)[1] if "?" in case.path else ""
                    little_case = Case(case.key, f"{case.label} — 10,000 posts", base + query)
                    rounds = []
                    for _ in range(3):
                        big = measure(big_server, case, sequential)
                        little = measure(small_server, little_case, sequential)
                        rounds.append((big, little))
                    scaling[case.key] = rounds
                    small[case.key] = rounds[-1][1]

    queued = clear_broker_queue(cfg.redis_url)
    env = {**conf_env, "machine": machine(), "dataset": data_set}
    text = report(cfg, meta, cases, floor_results, small, scaling, info, env)
    if queued:
        text += f"\nCelery messages queued by the reply case and cleared afterwards from the broker: {queued:,}.\n"
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M")
    out = RESULTS / f"{stamp}-{cfg.scale:g}.md"
    out.write_text(text)
    (RESULTS / f"{stamp}-{cfg.scale:g}.json").write_text(
        json.dumps(
            {
                "scale": cfg.scale,
                "meta": meta,
                "floor": floor_results,
                "cases": {c.key: {"label": c.label, "queries": c.queries, **c.result} for c in cases},
                "small": small,
                "scaling": scaling,
                "env": env,
            },
            ensure_ascii=False,
            indent=1,
        )
    )
    for f in tmp.iterdir():
        if f.name != "gunicorn.log":
            f.unlink()
    print()
    print(text)
    log(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
