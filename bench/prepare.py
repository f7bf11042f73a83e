"""Make sure DATABASE_URL holds the benchmark data set at BENCH_SCALE; print what it holds (JSON).

Reuses a database generated earlier at the same scale by the same generator version
(BENCH_REGENERATE=1 forces a fresh one); otherwise drops it, creates it, migrates,
runs load_kumagaya and bench.generate.
"""

import json
import os
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg


def admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(path="/postgres")), name


def read_meta(url: str) -> dict | None:
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            row = conn.execute("SELECT data FROM bench_meta ORDER BY id DESC LIMIT 1").fetchone()
            return row[0] if row else None
    except psycopg.Error:
        return None


def recreate(url: str) -> None:
    admin, name = admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    url = os.environ["DATABASE_URL"]
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    from bench.generate import GENERATOR_VERSION

    meta = read_meta(url)
    regenerate = os.environ.get("BENCH_REGENERATE") == "1"
    if meta and not regenerate and meta.get("scale") == scale and meta.get("version") == GENERATOR_VERSION:
        fresh = False
    else:
        print(f"[bench.prepare] creating {admin_url(url)[1]} at scale {scale}", file=sys.stderr, flush=True)
        recreate(url)
        fresh = True

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kumagaya_portal.settings")
    django.setup()
    from django.core.management import call_command

    began = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    if fresh:
        call_command("load_kumagaya", verbosity=0)
        from django.db import connection

        from bench.generate import generate

        made = generate(scale)
        made["version"] = GENERATOR_VERSION
        made["generated_at"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
        made["prepare_seconds"] = round(time.monotonic() - began, 1)
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (id serial PRIMARY KEY, data jsonb)")
            cursor.execute("INSERT INTO bench_meta (data) VALUES (%s::jsonb)", [json.dumps(made)])
        meta = made
    print("BENCHMETA " + json.dumps(meta, ensure_ascii=False))


if __name__ == "__main__":
    main()
