"""Identity: the tier-A invariant (nothing reveals who is behind a pen name) and staff voice in every tier."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.core import mail
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from channels import services
from channels.identity import display_author, staff_disclaimer_text
from channels.models import Channel, Thread
from kumagaya_portal.accounts.models import StaffRules
from tests.conftest import make_user
from tests.test_channels_support import *  # noqa: F403
from tests.test_channels_support import make_role

pytestmark = pytest.mark.django_db

SECRET_ID = 987654
REAL_NAME = "鬼瓦 権左衛門"
EMAIL = "gonzaemon.onigawara.secret@example.jp"
PEN_NAME = "星川の風"
SECRETS = [REAL_NAME, "鬼瓦", "権左衛門", EMAIL, "gonzaemon", "onigawara", str(SECRET_ID)]


@pytest.fixture
def secret_citizen(city):
    return make_user(EMAIL, real_name=REAL_NAME, pen_name=PEN_NAME, organisation="鬼瓦商店", id=SECRET_ID)


def leaks(response) -> list[str]:
    body = response.content.decode(errors="replace")
    headers = "\n".join(f"{k}: {v}" for k, v in response.items())
    return [s for s in SECRETS if s in body or s in headers]


def test_display_author_in_a_is_the_pen_name_only(secret_citizen, channel_a, channel_b):
    who = display_author(secret_citizen, channel_a)
    assert str(who) == PEN_NAME and not who.organisation and not who.department
    assert str(display_author(secret_citizen, channel_b)) == f"{REAL_NAME}（鬼瓦商店）"


def test_tier_a_invariant(client, secret_citizen, channel_a, django_capture_on_commit_callbacks):
    """The citizen posts in A through the pages; every page a non-moderator can reach is scanned."""
    other = make_role("citizen", n=1)
    follower = make_role("citizen", n=2)
    staff = make_role("staff")
    services.do_follow(actor=follower, channel=channel_a)

    client.force_login(secret_citizen)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("channels:new_thread", args=[channel_a.slug]),
            {"title": "星川の桜並木について", "kind": "private-led", "phase": "planning", "body": "桜の季節に歩きたい"},
        )
    thread = Thread.objects.get(title="星川の桜並木について")
    first = thread.posts.get()
    # Enough posts for a second thread page, and threads for a second channel page.
    for i in range(settings.POSTS_PER_PAGE + 2):
        services.do_reply(actor=other, thread=thread, body=f"返信{i}")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("channels:reply", args=[channel_a.slug, thread.pk]), {"body": "2ページ目の発言"})
    late = thread.posts.filter(author=secret_citizen).order_by("-id").first()
    client.post(reverse("channels:edit_post", args=[channel_a.slug, late.pk]), {"body": "2ページ目の発言（直し）"})
    services.do_reply(actor=other, thread=thread, body="引用します", quoted=first)
    now = timezone.now()
    for i in range(settings.THREADS_PER_PAGE + 1):
        Thread.objects.create(
            channel=channel_a,
            title=f"埋め草{i}",
            kind="private-led",
            author=other,
            last_activity_at=now - dt.timedelta(days=1, minutes=i),
        )

    slug = channel_a.slug
    pages = [
        "/",
        reverse("channels:lab"),
        reverse("channels:channel", args=[slug]),
        reverse("channels:channel", args=[slug]) + "?page=2",
        reverse("channels:channel", args=[slug]) + "?kind=private-led",
        reverse("channels:thread", args=[slug, thread.pk]),
        reverse("channels:thread", args=[slug, thread.pk]) + "?page=2",
        reverse("channels:reply", args=[slug, thread.pk]) + f"?quote={first.pk}",
        reverse("channels:new_thread", args=[slug]),
        reverse("channels:phase", args=[slug, thread.pk]),
        reverse("channels:settings", args=[slug]),
        reverse("channels:edit_post", args=[slug, first.pk]),  # another's post: 404
        reverse("channels:delete_post", args=[slug, first.pk]),  # 404
        reverse("channels:post_revisions", args=[slug, late.pk]),  # moderators only: 404
        reverse("channels:thread", args=[slug, 999999]),  # missing: 404 page
        reverse("channels:channel", args=["planning-downtown-vision-editors"]),
        f"/search/?q={PEN_NAME}",
        "/search/?q=桜",
        "/no-such-page/",
    ]
    for name in ("channels:follows", "archive:index"):
        try:
            pages.append(reverse(name))
        except NoReverseMatch:
            pass
    observers = {"anonymous": None, "citizen": other, "follower": follower, "staff": staff}
    checked = 0
    for label, observer in observers.items():
        client.logout()
        if observer is not None:
            client.force_login(observer)
        for url in pages:
            response = client.get(url, follow=True)
            assert response.status_code in (200, 403, 404), (label, url, response.status_code)
            assert not leaks(response), (label, url, leaks(response))
            checked += 1
        permalink = client.get(reverse("channels:post", args=[slug, late.pk]), follow=True)
        assert PEN_NAME in permalink.content.decode() and not leaks(permalink)
    # The thread page does show the pen name (the check above is not vacuous).
    client.logout()
    html = client.get(reverse("channels:thread", args=[slug, thread.pk])).content.decode()
    assert PEN_NAME in html
    # E-mails to others (the follower's notification) go through display_author too.
    to_others = [m for m in mail.outbox if EMAIL not in m.to]
    assert any(follower.email in m.to for m in to_others), "the follower was notified"
    for message in to_others:
        text = message.body + "".join(str(a[0]) for a in getattr(message, "alternatives", []))
        assert not [s for s in SECRETS if s in text + message.subject], message.subject
    assert checked == len(pages) * len(observers)


def test_the_locked_reply_error_page_reveals_nothing(client, secret_citizen, channel_a):
    thread = services.do_create_thread(
        actor=secret_citizen, channel=channel_a, title="鍵", body="本文", kind="private-led"
    )
    services.do_lock_thread(actor=None, thread=thread)
    client.force_login(make_role("citizen"))
    response = client.post(reverse("channels:reply", args=[channel_a.slug, thread.pk]), {"body": "x"})
    assert response.status_code == 403 and not leaks(response)


# ------------------------------------------------------------------ staff voice


def _staff_post(tier, staff, world):
    channel = world.channel(tier)
    if tier == "C":
        services.do_grant_membership(actor=None, channel=channel, user=staff)
    return services.do_reply(actor=staff, thread=world.threads[tier], body=f"{tier}で職員として発言します")


@pytest.mark.parametrize("tier", ["A", "B", "C"])
def test_staff_post_carries_badge_and_disclaimer(client, world, tier):
    staff = make_role("staff")
    staff.pen_name = "政策調査課の中の人"
    staff.save()
    post = _staff_post(tier, staff, world)
    assert post.author_was_staff
    rules = StaffRules.current()
    viewer = {"A": None, "B": world.author_b, "C": world.author_c}[tier]
    if viewer:
        client.force_login(viewer)
    html = client.get(
        reverse("channels:thread", args=[world.channel(tier).slug, world.threads[tier].pk])
    ).content.decode()
    article = re.search(rf'<article class="post[^"]*" id="post-{post.pk}".*?</article>', html, re.S).group(0)
    assert "市職員（政策調査課）" in article
    assert rules.disclaimer_ja in article and rules.not_official_ja in article
    assert f'href="{settings.OFFICIAL_SITE_URL}"' in article
    # Non-staff posts carry no disclaimer.
    other = re.search(rf'<article class="post[^"]*" id="post-{world.posts[tier].pk}".*?</article>', html, re.S).group(0)
    assert rules.disclaimer_ja not in other
    if tier == "A":
        assert "政策調査課の中の人" in article and "高城" not in article
    else:
        assert "高城 誠" in article


def test_staff_voice_is_decided_when_posting(client, world):
    """A post made as staff keeps its disclaimer after the author leaves the city's staff."""
    staff = make_role("staff")
    staff.pen_name = "元職員"
    staff.save()
    post = _staff_post("A", staff, world)
    staff.is_city_staff = False
    staff.save()
    html = client.get(reverse("channels:thread", args=[world.a.slug, world.threads["A"].pk])).content.decode()
    article = re.search(rf'id="post-{post.pk}".*?</article>', html, re.S).group(0)
    assert StaffRules.current().disclaimer_ja in article


def test_staff_disclaimer_text_for_mails_and_feeds(city):
    rules = StaffRules.current()
    text = staff_disclaimer_text()
    assert rules.disclaimer_ja in text and rules.not_official_ja in text and settings.OFFICIAL_SITE_URL in text
    assert "個人の意見であり市役所を代表するものではありません。" in text


def test_staff_disclaimer_in_notification_email(world, django_capture_on_commit_callbacks):
    follower = make_role("citizen", n=5)
    services.do_follow(actor=follower, channel=world.a)
    staff = make_role("staff")
    staff.pen_name = "職員ペン"
    staff.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.do_reply(actor=staff, thread=world.threads["A"], body="職員からのお知らせ")
    sent = [m for m in mail.outbox if follower.email in m.to]
    assert sent, "the follower gets an e-mail"
    assert StaffRules.current().disclaimer_ja in sent[0].body and "高城" not in sent[0].body


def test_deleted_account_is_shown_as_former_member(world):
    user = world.author_a
    user.is_deleted = True
    user.save()
    assert str(display_author(user, world.a)) == "退会したユーザー"
    assert Channel.objects.filter(pk=world.a.pk).exists()
