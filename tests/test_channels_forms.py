"""Bad input gets a field error in Japanese and loses nothing; limits, double submits, never a 500."""

import pytest
from django.urls import reverse

from channels import ratelimit
from channels.forms import BODY_MAX, TITLE_MAX
from channels.markdown import render_markdown
from channels.models import Post, Thread
from tests.test_channels_support import *  # noqa: F403

pytestmark = pytest.mark.django_db

GOOD = {"title": "公園の使い方", "kind": "private-led", "phase": "planning", "body": "ベンチを増やしたいです。"}


def new_url(channel):
    return reverse("channels:new_thread", args=[channel.slug])


def post_new(client, channel, **changes):
    data = {**GOOD, **changes}
    return client.post(new_url(channel), {k: v for k, v in data.items() if v is not None})


@pytest.fixture
def logged_in(client, citizen):
    client.force_login(citizen)
    return client


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"title": ""}, "title", "タイトルを入力してください。"),
        ({"title": "   \u200b "}, "title", "タイトルを入力してください。"),
        ({"title": "あ" * (TITLE_MAX + 1)}, "title", "タイトルは120文字以内で入力してください（いまは121文字です）。"),
        ({"body": ""}, "body", "本文を入力してください。"),
        ({"body": " \n\u3000\n\u200b\ufeff "}, "body", "本文を入力してください。"),
        ({"body": "字" * (BODY_MAX + 1)}, "body", "本文は10,000文字以内で入力してください（いまは10,001文字です）。"),
        ({"kind": ""}, "kind", "取組みの種類を選んでください。"),
        ({"kind": "government"}, "kind", "取組みの種類は一覧から選んでください。"),
        ({"kind": None}, "kind", "取組みの種類を選んでください。"),
        ({"phase": "finished"}, "phase", "フェイズは一覧から選んでください。"),
        ({"citation": "page:999999"}, "citation", "公式情報は一覧から選んでください。"),
        ({"citation": "meeting:abc"}, "citation", "公式情報は一覧から選んでください。"),
        ({"citation": "<script>"}, "citation", "公式情報は一覧から選んでください。"),
    ],
)
def test_field_errors_keep_the_text(logged_in, channel_a, changes, field, message):
    response = post_new(logged_in, channel_a, **changes)
    assert response.status_code == 200
    form = response.context["form"]
    assert message in form.errors[field]
    html = response.content.decode()
    assert message in html and "入力した内容はそのまま残っています" in html
    assert 'aria-invalid="true"' in html
    # What was typed is still in the form.
    for name in ("title", "body"):
        typed = {**GOOD, **changes}.get(name)
        if typed and name != field and typed.strip():
            assert typed in html
    assert not Thread.objects.filter(channel=channel_a).exists()


def test_body_at_the_limit_is_accepted(logged_in, channel_a):
    response = post_new(logged_in, channel_a, title="あ" * TITLE_MAX, body="字" * BODY_MAX)
    assert response.status_code == 302
    assert len(Thread.objects.get().posts.get().body) == BODY_MAX


def test_crlf_counts_once(logged_in, channel_a):
    body = "行\r\n" * (BODY_MAX // 2)
    assert post_new(logged_in, channel_a, body=body).status_code == 302
    assert "\r" not in Post.objects.get().body


def test_bidi_controls_are_removed_from_titles(logged_in, channel_a):
    post_new(logged_in, channel_a, title="\u202eabc\u202c タイトル\u2066x\u2069")
    assert Thread.objects.get().title == "abc タイトルx"


def test_reply_errors_keep_the_text(logged_in, world):
    url = reverse("channels:reply", args=[world.a.slug, world.threads["A"].pk])
    response = logged_in.post(url, {"body": "字" * (BODY_MAX + 5)})
    assert response.status_code == 200 and "10,000文字以内" in response.content.decode()
    assert response.context["form"]["body"].value() == "字" * (BODY_MAX + 5)
    assert logged_in.post(url, {"body": "  "}).status_code == 200
    assert logged_in.post(url, {"body": "x", "quote": "abc"}).status_code == 404


def test_edit_errors_keep_the_text(client, world):
    client.force_login(world.author_a)
    url = reverse("channels:edit_post", args=[world.a.slug, world.posts["A"].pk])
    response = client.post(url, {"body": ""})
    assert response.status_code == 200 and "本文を入力してください。" in response.content.decode()
    world.posts["A"].refresh_from_db()
    assert world.posts["A"].body == "Aの返信"


def test_double_submit_creates_one_thread(logged_in, channel_a):
    form = logged_in.get(new_url(channel_a)).context["form"]
    token = form.initial["token"]
    first = post_new(logged_in, channel_a, token=token)
    second = post_new(logged_in, channel_a, token=token)
    assert Thread.objects.filter(channel=channel_a).count() == 1
    assert first["Location"] == second["Location"]
    # A new form (new token) makes a new thread.
    post_new(logged_in, channel_a, token=logged_in.get(new_url(channel_a)).context["form"].initial["token"])
    assert Thread.objects.filter(channel=channel_a).count() == 2


def test_double_submit_creates_one_reply(logged_in, world):
    thread = world.threads["A"]
    url = reverse("channels:reply", args=[world.a.slug, thread.pk])
    token = logged_in.get(url).context["form"].initial["token"]
    before = Post.objects.filter(thread=thread).count()
    r1 = logged_in.post(url, {"body": "一度だけ", "token": token})
    r2 = logged_in.post(url, {"body": "一度だけ", "token": token})
    assert Post.objects.filter(thread=thread).count() == before + 1
    assert r1["Location"] == r2["Location"]


def test_tokens_are_per_user(client, world, citizen):
    """Another user's token is no key to their post: it makes a post of one's own."""
    thread = world.threads["A"]
    url = reverse("channels:reply", args=[world.a.slug, thread.pk])
    token = "0123456789abcdef0123456789abcdef"
    client.force_login(citizen)
    client.post(url, {"body": "市民の返信", "token": token})
    client.force_login(world.author_a)
    client.post(url, {"body": "作者の返信", "token": token})
    assert Post.objects.filter(idempotency_key=token).count() == 2


def test_posting_is_rate_limited_and_keeps_the_text(logged_in, channel_a):
    limit = ratelimit.limits("post")[0][0]
    for i in range(limit):
        assert post_new(logged_in, channel_a, title=f"連続{i}").status_code == 302
    response = post_new(logged_in, channel_a, title="多すぎる投稿", body="消えてほしくない文章")
    assert response.status_code == 429
    html = response.content.decode()
    assert "短い時間に投稿が続いたため" in html and "入力した内容は消えていません" in html
    assert "消えてほしくない文章" in html and "多すぎる投稿" in html
    assert Thread.objects.filter(channel=channel_a).count() == limit


def test_editing_is_rate_limited(client, world):
    client.force_login(world.author_a)
    url = reverse("channels:edit_post", args=[world.a.slug, world.posts["A"].pk])
    limit = ratelimit.limits("edit")[0][0]
    for i in range(limit):
        assert client.post(url, {"body": f"直し{i}"}).status_code == 302
    response = client.post(url, {"body": "最後の直し"})
    assert response.status_code == 429 and "短い時間に編集が続いたため" in response.content.decode()
    assert "最後の直し" in response.content.decode()


def test_rate_limit_windows(city, citizen):
    ratelimit_now = 1_000_000.0
    for _ in range(5):
        assert ratelimit.hit(citizen, "join_request", now=ratelimit_now) is None
    wait = ratelimit.hit(citizen, "join_request", now=ratelimit_now)
    assert wait and wait <= 3600
    assert "参加申請が続けて" in ratelimit.message("join_request", wait)
    # The next window starts afresh.
    assert ratelimit.hit(citizen, "join_request", now=ratelimit_now + 3600) is None


@pytest.mark.parametrize(
    "query",
    ["?page=abc", "?page=-1", "?page=99999", "?page=", "?kind=%00", "?phase[]=x", "?page=1e9", "?kind=" + "x" * 5000],
)
def test_odd_query_strings_never_500(client, world, query):
    assert client.get(reverse("channels:channel", args=[world.a.slug]) + query).status_code == 200
    assert client.get(reverse("channels:thread", args=[world.a.slug, world.threads["A"].pk]) + query).status_code == 200


def test_garbage_posts_never_500(logged_in, world):
    url = new_url(world.a)
    for data in (
        {},
        {"title": ["a", "b"], "body": ["x", "y"]},
        {"title": "x\x00y", "body": "z", "kind": "private-led", "phase": "planning"},
        {"token": "../../etc", **GOOD},
    ):
        assert logged_in.post(url, data).status_code in (200, 302)
    assert logged_in.post(
        reverse("channels:phase", args=[world.a.slug, world.threads["A"].pk]), {"phase": ["x", "y"]}
    ).status_code in (200, 403)


def test_markdown_subset():
    html = render_markdown(
        "一行目\n二行目\n\n- a\n- b\n\n> 引用\n\n`code` **強調** *斜体*\n\n```\n<b>x</b>\n```\n\n# 見出し"
    )
    assert "一行目<br>" in html and "<ul>" in html and "<blockquote>" in html
    assert "<code>code</code>" in html and "<strong>強調</strong>" in html and "<em>斜体</em>" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<h1>" not in html and "# 見出し" in html
    link = render_markdown("[市](https://www.city.kumagaya.lg.jp/) [m](mailto:a@example.jp) [j](javascript:alert(1))")
    assert (
        'rel="nofollow ugc noopener"' in link
        and 'href="mailto:a@example.jp"' in link
        and "javascript:" not in link.split("[j]")[0]
    )
    assert 'href="javascript' not in link
