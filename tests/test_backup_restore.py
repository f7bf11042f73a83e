"""Backup and restore as the README describes it: pg_dump -Fc, then pg_restore into a fresh database.

Every post, flag and audit row comes back with the same content (compared row by row
through a digest of the columns that matter), and the audit log is still append-only.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from channels.services import do_create_thread, do_reply

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="backup and restore are for PostgreSQL (DATABASE_URL=postgres://…)",
    ),
    pytest.mark.django_db(transaction=True),
]

# (label, table, digest query over the columns that matter); tables that do not exist are left out.
SNAPSHOTS = [
    ("users", "accounts_user", "SELECT id, email, pen_name, real_name, is_city_staff FROM accounts_user"),
    (
        "threads",
        "channels_thread",
        "SELECT id, title, visibility, visible_post_count, last_post_id FROM channels_thread",
    ),
    (
        "posts",
        "channels_post",
        "SELECT id, thread_id, author_id, body, body_html, visibility, moderation_reason, created_at FROM channels_post",
    ),
    ("flags", "moderation_flag", "SELECT id, post_id, flagger_id, reason, note, state FROM moderation_flag"),
    ("queue", "moderation_queueitem", "SELECT id, post_id, state, flag_count FROM moderation_queueitem"),
    (
        "audit",
        "moderation_auditentry",
        "SELECT id, created_at, actor_id, action, category, reason, post_id, before::text, after::text "
        "FROM moderation_auditentry",
    ),
    (
        "outbox",
        "kumagaya_portal_outboxmessage",
        "SELECT id, task_name, kwargs::text, sent_at FROM kumagaya_portal_outboxmessage",
    ),
    ("pages", "wagtailcore_page", "SELECT id, path, title, live FROM wagtailcore_page"),
    ("meetings", "archive_meeting", "SELECT id, slug, title, date FROM archive_meeting"),
]


def snapshot(conn) -> dict[str, tuple[int, str]]:
    out = {}
    for label, table, query in SNAPSHOTS:
        if conn.execute("SELECT to_regclass(%s)", [table]).fetchone()[0] is None:
            continue
        count, digest = conn.execute(
            f"SELECT count(*), md5(COALESCE(string_agg(r::text, '|' ORDER BY r.id), '')) FROM ({query}) r"  # noqa: S608
        ).fetchone()
        out[label] = (count, digest)
    return out


def conninfo(name: str | None = None) -> dict:
    s = connection.settings_dict
    return {
        "host": s["HOST"] or "127.0.0.1",
        "port": str(s["PORT"] or 5432),
        "user": s["USER"] or "postgres",
        "password": s["PASSWORD"] or "",
        "dbname": name or s["NAME"],
    }


def pg_env(info: dict) -> dict:
    return {**os.environ, "PGPASSWORD": info["password"]}


def make_content(citizen, stakeholder, moderator, channel_a):
    """Posts, flags and audit rows the way the portal makes them."""
    thread = do_create_thread(
        actor=stakeholder,
        channel=channel_a,
        title="星川通りの夜の明るさ",
        body="街灯を増やす提案です。\n\n- 防犯\n- にぎわい",
        kind="public-private",
    )
    posts = [
        do_reply(actor=stakeholder, thread=thread, body=f"返信 {i}: 「引用」や 'quote' や \\ も含みます。")
        for i in range(12)
    ]
    try:
        from moderation.services import do_flag
    except ImportError:
        return thread, posts
    from channels.models import Visibility
    from kumagaya_portal.accounts.models import User

    flaggers = [citizen, moderator] + [
        User.objects.create_user(email=f"flagger{i}@example.jp", password="x", guidelines_version="2024-10")
        for i in range(3)
    ]
    # Three distinct flags hide a post automatically (an audit row); others stay open in the queue.
    for user in flaggers[:3]:
        do_flag(actor=user, post=posts[0], reason="spam")
    do_flag(actor=flaggers[3], post=posts[1], reason="other", note="話題と関係がありません。")
    posts[0].refresh_from_db()
    assert posts[0].visibility == Visibility.HIDDEN
    return thread, posts


def test_pg_dump_and_pg_restore_keep_every_post_flag_and_audit_row(
    citizen, stakeholder, moderator, channel_a, settings
):
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump / pg_restore are not installed")
    settings.MODERATION_NEW_ACCOUNT_POSTS = 0
    make_content(citizen, stakeholder, moderator, channel_a)

    source = conninfo()
    target = conninfo(source["dbname"] + "_restored")
    with psycopg.connect(**source) as conn:
        before = snapshot(conn)
    assert before["posts"][0] >= 13
    if "audit" in before:
        assert before["audit"][0] >= 1 and before["flags"][0] >= 4

    workdir = Path(tempfile.mkdtemp(prefix="kumagaya-backup-"))
    dump = workdir / "kumagaya.dump"
    args = ["-h", source["host"], "-p", source["port"], "-U", source["user"]]
    try:
        subprocess.run(
            ["pg_dump", "-Fc", *args, "-d", source["dbname"], "-f", str(dump)],
            env=pg_env(source),
            check=True,
            timeout=300,
        )
        assert dump.stat().st_size > 0
        with psycopg.connect(**{**source, "dbname": "postgres"}, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{target["dbname"]}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{target["dbname"]}"')
        result = subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", *args, "-d", target["dbname"], str(dump)],
            env=pg_env(target),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr

        with psycopg.connect(**target) as conn:
            after = snapshot(conn)
            assert after == before
            # The restored audit log is still append-only (its trigger came back with it).
            if "audit" in after:
                with pytest.raises(psycopg.Error, match="append-only"):
                    conn.execute(
                        "UPDATE moderation_auditentry SET reason = 'changed' WHERE id = (SELECT min(id) FROM moderation_auditentry)"
                    )
    finally:
        with psycopg.connect(**{**source, "dbname": "postgres"}, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{target["dbname"]}" WITH (FORCE)')
        shutil.rmtree(workdir, ignore_errors=True)
