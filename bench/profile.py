"""Where one page's time goes: a request repeated in-process, under production settings, on the
benchmark's data set; prints the SQL (with timings) of one request and the top of a cProfile.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kumagaya_bench \\
        .venv/bin/python -m bench.profile /moderation/ --as moderator
    .venv/bin/python -m bench.profile /lab/<slug>/t/<id>/reply/ --as citizen --post 'body=返信です'

`--as` is a persona of the data set (moderator, citizen); `--post` sends the form (a fresh token
each time). Run `make bench` (or python -m bench.prepare) first to have the data set.
"""

import argparse
import cProfile
import io
import os
import pstats
import time
import uuid


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--as", dest="persona", default="")
    parser.add_argument("--post", default=None, help="form body (urlencoded) to POST")
    parser.add_argument("-n", type=int, default=30, help="requests to profile")
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args()

    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kumagaya_bench")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/6")
    os.environ.update(
        DEBUG="0",
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-profile-" + uuid.uuid4().hex * 2),
        ALLOWED_HOSTS="127.0.0.1,testserver",
        SECURE_SSL_REDIRECT="0",
        DB_CONN_MAX_AGE="600",
        LOG_LEVEL="WARNING",
        TESTING="0",
        DJANGO_SETTINGS_MODULE="kumagaya_portal.settings",
    )
    import django

    django.setup()
    from urllib.parse import parse_qsl

    from django.db import connection, connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.prepare import read_meta

    client = Client(HTTP_HOST="127.0.0.1")
    if args.persona:
        from django.contrib.auth import get_user_model

        meta = read_meta(os.environ["DATABASE_URL"]) or {}
        users = get_user_model().objects
        if args.persona in meta.get("personas", {}):
            user = users.get(pk=meta["personas"][args.persona])
        else:  # an ordinary citizen with posts behind them (as the benchmark's reply case)
            user = users.filter(email__startswith="bench-user-", is_city_staff=False).order_by("pk")[5]
        client.force_login(user)
    form = dict(parse_qsl(args.post)) if args.post is not None else None

    def request():
        if form is None:
            return client.get(args.path)
        return client.post(args.path, {**form, "token": uuid.uuid4().hex})

    response = request()
    print(f"{args.path}: {response.status_code}")
    with CaptureQueriesContext(connection) as ctx:
        request()
    for q in ctx.captured_queries:
        print(f"{float(q['time']) * 1000:7.2f} ms  {q['sql'][:160]}")
    print(f"{len(ctx.captured_queries)} queries")
    timings = []
    for _ in range(args.n):
        began = time.perf_counter()
        request()
        timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    binding = "server-side binding" if getattr(connection.features, "uses_server_side_binding", False) else "client"
    print(f"{args.n} requests ({binding}): fastest {timings[0]:.1f} ms, median {timings[len(timings) // 2]:.1f} ms")
    timings = []
    profiler = cProfile.Profile()
    for _ in range(args.n):
        began = time.perf_counter()
        profiler.enable()
        request()
        profiler.disable()
        timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    print(f"{args.n} requests under cProfile: fastest {timings[0]:.1f} ms, median {timings[len(timings) // 2]:.1f} ms")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(args.top)
    print(out.getvalue())
    connections.close_all()


if __name__ == "__main__":
    main()
