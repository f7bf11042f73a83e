"""Hidden, pending and removed posts disappear for readers from every place they could meet them,
and restoring brings them back. One test per place; each runs for all three states.

Places not tested here, because nothing in the portal shows a post there yet:
- feeds: the only feeds are the official range's (cms/archive RSS, Atom, iCalendar); no feed carries posts;
- link previews: the portal neither fetches nor renders previews of links (no OpenGraph tags carry post text).
"""

import pytest
from django import forms
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from channels import services as channel_services
from channels.models import Follow, Post, PostRevision, Thread, Visibility
from tests.test_moderation_support import *  # noqa: F403
from tests.test_moderation_support import act, html, mails_to, thread_url

pytestmark = pytest.mark.django_db

SECRET = "ひみつの合言葉ほしかわ"
STATES = ["hidden", "pending", "removed"]


@pytest.fixture(params=STATES)
def state(request):
    return request.param


@pytest.fixture
def target(thread_a, other_citizen):
    return channel_services.do_reply(actor=other_citizen, thread=thread_a, body=f"{SECRET}を書きました。")


def make_unreadable(mod, post, state):
    """hidden/removed by a moderator; pending as an automatic hold would leave it."""
    if state == "pending":
        channel_services.do_set_post_visibility(actor=None, post=post, visibility=Visibility.PENDING, reason="確認中")
    else:
        act(mod, post, {"hidden": "hide", "removed": "remove"}[state], reason="確認のため")
    post.refresh_from_db()
    assert post.visibility == state


def restore(mod, post):
    act(mod, post, "restore", reason="問題ありませんでした")
    post.refresh_from_db()
    assert post.visibility == Visibility.PUBLISHED


def as_reader(client, reader):
    client.force_login(reader)
    return client


# ------------------------------------------------------------------ pages
def test_thread_page(client, mod, reader, target, thread_a, state):
    as_reader(client, reader)
    assert SECRET in html(client.get(thread_url(thread_a)))
    make_unreadable(mod, target, state)
    assert SECRET not in html(client.get(thread_url(thread_a)))
    restore(mod, target)
    assert SECRET in html(client.get(thread_url(thread_a)))


def test_post_permalink(client, mod, reader, target, thread_a, state):
    as_reader(client, reader)
    url = reverse("channels:post", args=[thread_a.channel.slug, target.pk])
    make_unreadable(mod, target, state)
    response = client.get(url, follow=True)
    assert response.status_code == 404 or SECRET not in html(response)
    restore(mod, target)
    assert SECRET in html(client.get(url, follow=True))


def test_channel_list_count_and_last_post(client, mod, reader, target, thread_a, state):
    thread_a.refresh_from_db()
    assert thread_a.visible_post_count == 2 and thread_a.last_post_id == target.pk
    make_unreadable(mod, target, state)
    thread_a.refresh_from_db()
    first = thread_a.posts.order_by("created_at", "id").first()
    assert thread_a.visible_post_count == 1 and thread_a.last_post_id == first.pk
    assert thread_a.last_activity_at == first.created_at  # the "last post" line no longer points at it
    as_reader(client, reader)
    page = html(client.get(reverse("channels:channel", args=[thread_a.channel.slug])))
    assert "1件の投稿" in page and SECRET not in page
    restore(mod, target)
    thread_a.refresh_from_db()
    assert thread_a.visible_post_count == 2 and thread_a.last_post_id == target.pk
    assert "2件の投稿" in html(client.get(reverse("channels:channel", args=[thread_a.channel.slug])))


def test_whole_thread_when_its_first_post_goes(client, mod, reader, thread_a, state):
    first = thread_a.posts.get()
    Post.objects.filter(pk=first.pk).update(body=f"{SECRET}（最初の投稿）")
    make_unreadable(mod, first, state)
    as_reader(client, reader)
    assert client.get(thread_url(thread_a)).status_code == 404
    assert "駅前に木陰を" not in html(client.get(reverse("channels:channel", args=[thread_a.channel.slug])))
    restore(mod, first)
    assert client.get(thread_url(thread_a)).status_code == 200


def test_quote_in_another_post(client, mod, reader, target, thread_a, citizen, state):
    quoting = channel_services.do_reply(actor=citizen, thread=thread_a, body="上の意見に賛成です。", quoted=target)
    make_unreadable(mod, target, state)
    as_reader(client, reader)
    page = html(client.get(thread_url(thread_a)))
    assert SECRET not in page
    assert "上の意見に賛成です。" in page  # a reply under a hidden post stays visible in its own right
    assert "この投稿は表示できません" in page
    assert Post.objects.get(pk=quoting.pk).visibility == Visibility.PUBLISHED
    restore(mod, target)
    assert html(client.get(thread_url(thread_a))).count(SECRET) == 2  # the post and its quote


def test_search(client, mod, reader, target, state):
    as_reader(client, reader)
    url = reverse("search:search") + "?q=合言葉"
    assert SECRET in html(client.get(url)).replace("<mark>", "").replace("</mark>", "")
    make_unreadable(mod, target, state)
    assert SECRET not in html(client.get(url)).replace("<mark>", "").replace("</mark>", "")
    restore(mod, target)
    assert SECRET in html(client.get(url)).replace("<mark>", "").replace("</mark>", "")


def test_edit_history(client, mod, reader, target, thread_a, other_citizen, state):
    channel_services.do_edit_post(actor=other_citizen, post=target, body=f"{SECRET}を書き直しました。")
    assert PostRevision.objects.filter(post=target).exists()
    url = reverse("channels:post_revisions", args=[thread_a.channel.slug, target.pk])
    as_reader(client, reader)
    assert client.get(url).status_code == 404  # earlier versions: moderators only, in every state
    make_unreadable(mod, target, state)
    assert client.get(url).status_code == 404
    client.force_login(mod)
    assert SECRET in html(client.get(url))


def test_attachment(client, mod, reader, target, state, settings, tmp_path):
    from channels.attachments import AttachmentFormMixin

    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"

    class Form(AttachmentFormMixin, forms.Form):
        pass

    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    form = Form(data={}, files={"attachments": SimpleUploadedFile("資料.pdf", pdf, content_type="application/pdf")})
    assert form.is_valid(), form.errors
    (attachment,) = channel_services.do_attach(actor=target.author, post=target, files=form.cleaned_data["attachments"])
    url = reverse("channels:attachment", args=[attachment.public_id])
    as_reader(client, reader)
    assert client.get(url).status_code == 200
    make_unreadable(mod, target, state)
    assert client.get(url).status_code == 404
    restore(mod, target)
    assert client.get(url).status_code == 200


# ------------------------------------------------------------- notifications
def test_notification_already_queued(mod, reader, target, thread_a, citizen, state, django_capture_on_commit_callbacks):
    """The task was queued while the post was visible; it runs after the post went: nothing is sent."""
    from channels import tasks as channel_tasks

    channel_services.do_follow(actor=reader, thread=thread_a)
    post = channel_services.do_reply(actor=citizen, thread=thread_a, body=f"{SECRET}の続きです。")
    make_unreadable(mod, post, state)
    mail.outbox.clear()
    channel_tasks.notify_new_post.apply(kwargs={"post_id": post.pk})
    assert not [m for m in mails_to(reader) if SECRET in m.body]
    restore(mod, post)
    channel_tasks.notify_new_post.apply(kwargs={"post_id": post.pk})
    assert [m for m in mails_to(reader) if SECRET in m.body]


def test_daily_digest(mod, reader, thread_a, citizen, state, django_capture_on_commit_callbacks):
    from channels import tasks as channel_tasks

    channel_services.do_follow(actor=reader, thread=thread_a, delivery=Follow.Delivery.DAILY)
    with django_capture_on_commit_callbacks(execute=True):
        post = channel_services.do_reply(actor=citizen, thread=thread_a, body=f"{SECRET}をまとめで。")
    make_unreadable(mod, post, state)
    mail.outbox.clear()
    channel_tasks.send_digest.apply(kwargs={"user_id": reader.pk})
    assert not [m for m in mails_to(reader) if SECRET in m.body]


def test_restored_pending_post_is_announced_then(
    mod, reader, thread_a, other_citizen, settings, django_capture_on_commit_callbacks
):
    """A held post was never announced; approving it announces it (restoring brings it back everywhere)."""
    settings.MODERATION_NEW_ACCOUNT_POSTS = 1
    channel_services.do_follow(actor=reader, thread=thread_a)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post = channel_services.do_reply(actor=other_citizen, thread=thread_a, body=f"{SECRET}（新規）")
    assert post.visibility == Visibility.PENDING and mails_to(reader) == []
    with django_capture_on_commit_callbacks(execute=True):
        restore(mod, post)
    assert [m for m in mails_to(reader) if SECRET in m.body]


def test_thread_counts_survive_restore_of_everything(mod, thread_a, other_citizen):
    posts = [channel_services.do_reply(actor=other_citizen, thread=thread_a, body=f"返信{i}") for i in range(3)]
    for p in posts:
        act(mod, p, "hide")
    assert Thread.objects.get(pk=thread_a.pk).visible_post_count == 1
    for p in posts:
        act(mod, p, "restore")
    assert Thread.objects.get(pk=thread_a.pk).visible_post_count == 4
