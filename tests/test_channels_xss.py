"""XSS corpus: hostile titles, bodies, pen names and file names never survive as markup.

Each page is parsed with html.parser and compared with the same page holding harmless text:
no tag type the harmless page lacks (beyond the Markdown allowlist), no on* attribute, no
javascript:/data:/vbscript: URL, no <script> without the page's CSP nonce.
"""

import io
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from channels import services
from channels.markdown import ALLOWED_TAGS
from channels.models import Post, Thread
from tests.conftest import make_user
from tests.test_channels_support import *  # noqa: F403
from tests.test_channels_support import collect_markup, make_role

pytestmark = pytest.mark.django_db

CORPUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[a](data:text/html,<script>alert(1)</script>)",
    "[click](vbscript:msgbox(1))",
    "![img](javascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    '[x](https://example.jp "t\\" onmouseover=\\"alert(1)")',
    "<javascript:alert(1)>",
    '<https://example.jp/"onmouseover="alert(1)>',
    "<body onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>alert(1);//<</script>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:image/svg+xml,<svg onload=alert(1)>">',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="jav&#x0A;ascript:alert(1)">x</a>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:/">',
    '<link rel=stylesheet href="javascript:alert(1)">',
    "<style>@import 'javascript:alert(1)';</style>",
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
    "> <script>alert(1)</script>",
    "- <img src=x onerror=alert(1)>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    '<a href="data:text/html,<script>alert(1)</script>">d</a>',
    '<img src="x` `<script>alert(1)</script>"` `>',
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    '<video><source onerror="alert(1)"></video>',
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>",
    "<x onclick=alert(1)>click",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "\u202egnp.exe<script>",  # right-to-left override
    "abc\u200bdef<scr\u200bipt>alert(1)</scr\u200bipt>",  # zero-width space
    "\u2066<img src=x onerror=alert(1)>\u2069",  # bidi isolate
    "＜script＞alert(1)＜/script＞",  # full-width brackets
    "\uff1cimg src=x onerror=alert(1)\uff1e",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "{{ 7|add:7 }}{% debug %}",
    "<a href='javas\u0000cript:alert(1)'>nul</a>",
]
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")
URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "background", "poster", "srcset"}


def test_corpus_is_big_enough():
    assert len(CORPUS) >= 50 and len(set(CORPUS)) == len(CORPUS)


def _url_is_bad(value: str) -> bool:
    cleaned = re.sub(r"[\x00-\x20\u200b-\u200f\u2060\ufeff]", "", value or "").lower()
    return cleaned.startswith(BAD_SCHEMES)


def assert_no_markup(html: str, baseline_tags: set[str], where: str, extra_tags=frozenset()):
    tags = collect_markup(html)
    allowed = baseline_tags | ALLOWED_TAGS | set(extra_tags)
    for tag, attrs in tags:
        assert tag in allowed, f"{where}: <{tag}> survived"
        for name, value in attrs:
            assert not name.lower().startswith("on"), f"{where}: <{tag} {name}=...> survived"
            if name.lower() in URL_ATTRS:
                assert not _url_is_bad(value), f"{where}: <{tag} {name}={value!r}>"
            if name.lower() == "style":
                assert "javascript" not in (value or "").lower() and "expression" not in (value or "").lower()
        if tag == "script":
            assert any(n == "nonce" for n, _ in attrs) or any(
                n == "src" and (v or "").startswith("/static/") for n, v in attrs
            ), f"{where}: a <script> without the page's nonce"


def tag_names(html: str) -> set[str]:
    return {tag for tag, _ in collect_markup(html)}


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 80, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def hostile_world(city, django_capture_on_commit_callbacks):
    """Threads titled with the corpus, a thread whose replies are the corpus (some quoted, one
    with a hostile file name), and authors whose pen names are the corpus."""
    from channels.models import Channel

    channel = Channel.objects.get(slug="downtown-vision-editors")
    writer = make_user("writer@example.jp", real_name="書き手", pen_name="書き手")
    follower = make_role("citizen", n=9)
    services.do_follow(actor=follower, channel=channel)
    holder = services.do_create_thread(
        actor=writer, channel=channel, title="普通のタイトル", body="普通の本文", kind="private-led"
    )
    for i, payload in enumerate(CORPUS):
        payload = payload.replace("\x00", "")  # PostgreSQL refuses NUL; the forms refuse it too (tested below)
        services.do_create_thread(actor=writer, channel=channel, title=payload[:120], body="本文", kind="private-led")
        author = make_user(f"hostile{i}@example.jp", pen_name=(payload[:18] + f"{i:02d}"))
        with django_capture_on_commit_callbacks(execute=True):
            post = services.do_reply(actor=author, thread=holder, body=payload)
        if i % 7 == 0:
            services.do_reply(actor=writer, thread=holder, body="引用", quoted=post)
    return {"channel": channel, "thread": holder, "writer": writer, "follower": follower}


def test_corpus_in_titles_bodies_and_pen_names(client, hostile_world):
    channel, thread = hostile_world["channel"], hostile_world["thread"]
    # Baseline: the same pages with harmless content (a list, a quote, code), seen by the same viewer.
    writer = hostile_world["writer"]
    base_thread = services.do_create_thread(
        actor=writer, channel=channel, title="基準", body="- a\n\n> b\n\n`c`", kind="private-led"
    )
    services.do_reply(actor=writer, thread=base_thread, body="引用", quoted=base_thread.posts.first())
    urls = [reverse("channels:channel", args=[channel.slug]) + f"?page={n}" for n in (1, 2, 3)]
    urls += [reverse("channels:thread", args=[channel.slug, thread.pk]) + f"?page={n}" for n in (1, 2)]
    urls += [reverse("channels:thread", args=[channel.slug, t.pk]) for t in Thread.objects.filter(channel=channel)]
    quoted = Post.objects.filter(thread=thread).exclude(author=writer)[:5]
    urls += [reverse("channels:reply", args=[channel.slug, thread.pk]) + f"?quote={p.pk}" for p in quoted]
    for viewer in (None, make_role("citizen"), make_role("moderator")):
        client.logout()
        if viewer:
            client.force_login(viewer)
        baseline = set()
        for url in (
            reverse("channels:thread", args=[channel.slug, base_thread.pk]),
            reverse("channels:channel", args=[channel.slug]) + "?kind=public-private",
            reverse("channels:reply", args=[channel.slug, base_thread.pk]) + f"?quote={base_thread.posts.first().pk}",
        ):
            baseline |= tag_names(client.get(url).content.decode())
        for url in urls:
            response = client.get(url)
            if "/reply/" in url and response.status_code == 302:
                continue  # the reply form asks this viewer to log in or choose a pen name first
            assert response.status_code == 200, url
            html = response.content.decode()
            assert html.count("<script") == 0 or "nonce" in html
            assert_no_markup(html, baseline, url)
    # The corpus is there, as text.
    client.logout()
    html = client.get(reverse("channels:thread", args=[channel.slug, thread.pk])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_corpus_in_forms_and_author_pages(client, hostile_world, settings):
    """Echoed in form fields after an error, in edit forms, in revisions and delete pages."""
    channel = hostile_world["channel"]
    settings.CHANNELS_RATE_LIMITS = {"post": [(1000, 60)]}
    author = make_user("formxss@example.jp", pen_name="フォーム")
    client.force_login(author)
    baseline = tag_names(client.get(reverse("channels:new_thread", args=[channel.slug])).content.decode())
    moderator = make_role("moderator")
    for i, payload in enumerate(CORPUS):
        # A bad kind makes the form come back with the typed title and body.
        response = client.post(
            reverse("channels:new_thread", args=[channel.slug]),
            {"title": payload[:120], "body": payload, "kind": payload, "phase": payload, "citation": payload},
        )
        assert response.status_code == 200
        assert_no_markup(response.content.decode(), baseline, f"form #{i}")
    benign = services.do_reply(actor=author, thread=hostile_world["thread"], body="- 普通\n\n> 引用")
    services.do_edit_post(actor=author, post=benign, body="`直し`")
    post = services.do_reply(actor=author, thread=hostile_world["thread"], body="最初")
    for payload in CORPUS[:20]:
        payload = payload.replace("\x00", "")
        services.do_edit_post(actor=author, post=post, body=payload)
    for name in ("channels:edit_post", "channels:delete_post"):
        base = tag_names(client.get(reverse(name, args=[channel.slug, benign.pk])).content.decode())
        url = reverse(name, args=[channel.slug, post.pk])
        assert_no_markup(client.get(url).content.decode(), base, url)
    client.force_login(moderator)
    base = tag_names(client.get(reverse("channels:post_revisions", args=[channel.slug, benign.pk])).content.decode())
    url = reverse("channels:post_revisions", args=[channel.slug, post.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert_no_markup(response.content.decode(), base, url)


def test_corpus_in_file_names(client, city, settings):
    from channels.models import Attachment, Channel

    settings.CHANNELS_RATE_LIMITS = {"post": [(1000, 60)]}

    channel = Channel.objects.get(slug="downtown-vision-editors")
    author = make_user("filexss@example.jp", pen_name="ファイル")
    thread = services.do_create_thread(actor=author, channel=channel, title="添付", body="本文", kind="private-led")
    client.force_login(author)
    image = png_bytes()
    for i, payload in enumerate(CORPUS):
        upload = SimpleUploadedFile(f"{payload.replace(chr(0), '')}.png", image, content_type="text/html")
        client.post(
            reverse("channels:reply", args=[channel.slug, thread.pk]), {"body": f"添付{i}", "attachments": upload}
        )
    assert Attachment.objects.filter(post__thread=thread).count() >= len(CORPUS) - 2
    baseline = tag_names(client.get(reverse("channels:thread", args=[channel.slug, thread.pk])).content.decode())
    for page in (1, 2):
        url = reverse("channels:thread", args=[channel.slug, thread.pk]) + f"?page={page}"
        assert_no_markup(client.get(url).content.decode(), baseline, url, extra_tags={"img"})


def test_corpus_in_notification_emails(hostile_world):
    follower = hostile_world["follower"]
    sent = [m for m in mail.outbox if follower.email in m.to]
    assert sent
    for message in sent:
        for content, mimetype in getattr(message, "alternatives", []):
            if "html" in mimetype:
                assert_no_markup(
                    str(content),
                    {
                        "html",
                        "head",
                        "meta",
                        "title",
                        "body",
                        "div",
                        "p",
                        "strong",
                        "span",
                        "a",
                        "table",
                        "tr",
                        "td",
                        "h1",
                        "h2",
                        "hr",
                        "br",
                        "style",
                    },
                    message.subject,
                )


def test_admin_shows_user_text_escaped(client, hostile_world):
    admin = make_user("root@example.jp", is_superuser=True, is_staff=True)
    client.force_login(admin)
    post = Post.objects.filter(body=CORPUS[0]).first()
    thread = Thread.objects.filter(title=CORPUS[0]).first()
    for url in (
        reverse("admin:channels_post_changelist"),
        reverse("admin:channels_post_change", args=[post.pk]),
        reverse("admin:channels_thread_changelist"),
        reverse("admin:channels_thread_change", args=[thread.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "<script>alert(1)</script>" not in html and "<img src=x onerror" not in html, url
