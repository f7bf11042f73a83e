"""Membership of B channels and C workspaces: invite → accept, request → approve/decline, leave, remove."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from channels import permissions, services
from channels.models import Channel, Follow, Membership
from kumagaya_portal import outbox
from kumagaya_portal.celery import app as celery_app
from tests.conftest import make_user

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MODERATION_NEW_ACCOUNT_POSTS = 0
    settings.SITE_URL = "http://testserver"


@pytest.fixture(autouse=True)
def eager_celery():
    """Outbox messages run in-process (CI sets REDIS_URL, which turns eager off by default)."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def accept_url_from(message) -> str:
    match = re.search(r"http://testserver(/lab/invitation/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


# ------------------------------------------------------------------ invitations
def test_staff_invites_an_existing_user_who_accepts(client, staff, channel_b, citizen, run_on_commit):
    client.force_login(staff)
    response = run_on_commit(client.post, reverse("channels:members", args=[channel_b.slug]), {"email": citizen.email})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == [citizen.email]
    assert channel_b.name_ja in message.subject
    assert "高城 誠" in message.body  # the inviter, by real name (B is a real-name tier)
    url = accept_url_from(message)

    client.force_login(citizen)
    assert client.get(reverse("channels:channel", args=[channel_b.slug])).status_code == 404
    page = client.get(url)
    assert page.status_code == 200 and "参加する" in page.content.decode()
    assert not permissions.can_view_channel(citizen, channel_b)  # GET changes nothing
    response = client.post(url, {"action": "accept"})
    assert response.status_code == 302
    assert client.get(reverse("channels:channel", args=[channel_b.slug])).status_code == 200
    assert Membership.objects.get(channel=channel_b, user=citizen).state == Membership.State.ACTIVE


def test_invitation_for_an_address_without_account_waits_for_sign_up(client, staff, workspace_c, run_on_commit):
    client.force_login(staff)
    run_on_commit(client.post, reverse("channels:members", args=[workspace_c.slug]), {"email": "New.Person@Example.jp"})
    [message] = mail.outbox
    url = accept_url_from(message)
    assert "新規登録" in message.body

    client.logout()
    page = client.get(url)  # signed out: sign in or sign up first
    assert page.status_code == 200
    body = page.content.decode()
    assert reverse("account_signup") in body and reverse("account_login") in body

    # The person signs up with that address and logs in in the same browser: the invitation is accepted.
    newcomer = make_user("new.person@example.jp", real_name="新人 花子")
    client.post(reverse("account_login"), {"login": "new.person@example.jp", "password": "pw-kumagaya-2024"})
    assert Membership.objects.get(channel=workspace_c, user=newcomer).state == Membership.State.ACTIVE
    assert client.get(reverse("channels:channel", args=[workspace_c.slug])).status_code == 200
    # The link (allauth's "next" after sign-up) now leads to the workspace, not to an error.
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == reverse("channels:channel", args=[workspace_c.slug])


def test_invitation_claimed_at_login_without_the_link_is_offered_not_forced(client, staff, channel_b, run_on_commit):
    client.force_login(staff)
    run_on_commit(client.post, reverse("channels:members", args=[channel_b.slug]), {"email": "later@example.jp"})
    client.logout()
    later = make_user("later@example.jp", real_name="後藤 遅子")
    client.force_login(later)
    membership = Membership.objects.get(channel=channel_b, user=later)
    assert membership.state == Membership.State.INVITED
    page = client.get(reverse("channels:invitations"))
    assert channel_b.name_ja in page.content.decode()
    client.post(reverse("channels:invitation_respond", args=[membership.pk]), {"action": "accept"})
    assert permissions.can_view_channel(later, channel_b)


def test_invitation_link_for_someone_else_does_not_work(client, staff, channel_b, citizen, run_on_commit):
    client.force_login(staff)
    run_on_commit(client.post, reverse("channels:members", args=[channel_b.slug]), {"email": "someone@example.jp"})
    url = accept_url_from(mail.outbox[0])
    client.force_login(citizen)
    assert client.post(url, {"action": "accept"}).status_code == 403
    assert not permissions.can_view_channel(citizen, channel_b)


def test_tampered_or_cancelled_invitation_link_is_refused(client, staff, channel_b, citizen, run_on_commit):
    client.force_login(staff)
    run_on_commit(client.post, reverse("channels:members", args=[channel_b.slug]), {"email": citizen.email})
    url = accept_url_from(mail.outbox[0])
    client.force_login(citizen)
    assert client.get(url[:-3] + "xx/").status_code == 404
    membership = Membership.objects.get(channel=channel_b, user=citizen)
    services.do_cancel_invitation(actor=staff, membership=membership)
    assert client.get(url).status_code == 404


def test_invite_form_errors_are_japanese_field_errors(client, staff, stakeholder, channel_b):
    client.force_login(staff)
    url = reverse("channels:members", args=[channel_b.slug])
    response = client.post(url, {"email": "not-an-address"})
    assert response.status_code == 400
    assert "メールアドレスの形式が正しくありません" in response.content.decode()
    response = client.post(url, {"email": stakeholder.email})
    assert "すでにメンバーです" in response.content.decode()


# ------------------------------------------------------------------ join requests
def test_request_then_approve(client, staff, channel_b, citizen, run_on_commit):
    client.force_login(citizen)
    join = reverse("channels:join", args=[channel_b.slug])
    assert client.get(join).status_code == 200
    run_on_commit(client.post, join)
    assert Membership.objects.get(channel=channel_b, user=citizen).state == Membership.State.REQUESTED
    assert "参加申請を受け付けています" in client.get(join).content.decode()

    client.force_login(staff)
    members = client.get(reverse("channels:members", args=[channel_b.slug])).content.decode()
    assert "榊原 澄玲" in members  # B is a real-name tier: managers see who asks
    membership = Membership.objects.get(channel=channel_b, user=citizen)
    mail.outbox.clear()
    run_on_commit(client.post, reverse("channels:member_action", args=[channel_b.slug, membership.pk, "approve"]))
    assert permissions.can_view_channel(citizen, channel_b)
    assert [m.to for m in mail.outbox] == [[citizen.email]]


def test_request_then_decline(client, staff, channel_b, citizen):
    client.force_login(citizen)
    client.post(reverse("channels:join", args=[channel_b.slug]))
    membership = Membership.objects.get(channel=channel_b, user=citizen)
    client.force_login(staff)
    client.post(reverse("channels:member_action", args=[channel_b.slug, membership.pk, "decline"]))
    membership.refresh_from_db()
    assert membership.state == Membership.State.DECLINED
    assert not permissions.can_view_channel(citizen, channel_b)
    client.force_login(citizen)
    assert "見送られました" in client.get(reverse("channels:join", args=[channel_b.slug])).content.decode()


def test_workspaces_are_invitation_only(client, citizen, workspace_c):
    client.force_login(citizen)
    assert client.get(reverse("channels:join", args=[workspace_c.slug])).status_code == 404
    assert client.post(reverse("channels:join", args=[workspace_c.slug])).status_code == 404
    assert not Membership.objects.filter(channel=workspace_c, user=citizen).exists()


def test_join_requests_are_rate_limited(client, citizen, settings):
    settings.CHANNELS_RATE_LIMITS = {"join_request": [(2, 3600)]}
    from django.core.cache import cache

    cache.clear()
    rooms = list(Channel.objects.filter(tier_id="B").order_by("id")[:3])
    client.force_login(citizen)
    for room in rooms[:2]:
        assert client.post(reverse("channels:join", args=[room.slug])).status_code == 302
    response = client.post(reverse("channels:join", args=[rooms[2].slug]))
    assert response.status_code == 429
    assert "参加申請が続けて行われたため" in response.content.decode()
    assert not Membership.objects.filter(channel=rooms[2], user=citizen).exists()


def test_members_page_is_404_for_those_who_do_not_manage(client, citizen, stakeholder, channel_b, workspace_c):
    for user in (citizen, stakeholder):
        client.force_login(user)
        for channel in (channel_b, workspace_c):
            assert client.get(reverse("channels:members", args=[channel.slug])).status_code == 404
    client.logout()
    response = client.get(reverse("channels:members", args=[channel_b.slug]))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_workspace_owner_and_channel_owner_manage_members(client, workspace_c, channel_b, stakeholder):
    owner = make_user("ws.owner@example.jp", real_name="持主 一", verified=True)
    workspace_c.workspace.owners.add(owner)
    client.force_login(owner)
    assert client.get(reverse("channels:members", args=[workspace_c.slug])).status_code == 200
    assert client.get(reverse("channels:members", args=[channel_b.slug])).status_code == 404
    Membership.objects.filter(channel=channel_b, user=stakeholder).update(role=Membership.Role.OWNER)
    client.force_login(stakeholder)
    assert client.get(reverse("channels:members", args=[channel_b.slug])).status_code == 200


def test_members_page_query_count_does_not_grow(client, staff, channel_b, django_assert_max_num_queries):
    client.force_login(staff)
    url = reverse("channels:members", args=[channel_b.slug])
    client.get(url)
    with django_assert_max_num_queries(12):
        client.get(url)
    for i in range(15):
        services.do_grant_membership(
            actor=staff, channel=channel_b, user=make_user(f"m{i}@example.jp", real_name=f"会員 {i}", verified=True)
        )
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


# ------------------------------------------------------------------ leave and remove
def test_member_leaves(client, stakeholder, channel_b):
    client.force_login(stakeholder)
    leave = reverse("channels:leave", args=[channel_b.slug])
    assert client.get(leave).status_code == 200
    assert permissions.can_view_channel(stakeholder, channel_b)  # GET changes nothing
    client.post(leave)
    assert client.get(reverse("channels:channel", args=[channel_b.slug])).status_code == 404
    assert client.get(leave).status_code == 404


def _thread_with_file(author, channel):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from channels.attachments import inspect_upload

    thread = services.do_create_thread(
        actor=author, channel=channel, title="内部の打ち合わせ", body="資料です。", kind="public-private"
    )
    post = thread.posts.get()
    [attachment] = services.do_attach(
        actor=author, post=post, files=[inspect_upload(SimpleUploadedFile("資料.pdf", PDF))]
    )
    return thread, attachment


@pytest.mark.parametrize("slug_fixture", ["channel_b", "workspace_c"])
def test_removal_takes_effect_at_once(client, request, staff, stakeholder, slug_fixture):
    channel = request.getfixturevalue(slug_fixture)
    member = make_user("leaving@example.jp", real_name="退場 予定", verified=True)
    services.do_grant_membership(actor=staff, channel=channel, user=member)
    thread, attachment = _thread_with_file(stakeholder, channel)
    urls = [
        reverse("channels:channel", args=[channel.slug]),
        reverse("channels:thread", args=[channel.slug, thread.pk]),
        reverse("channels:attachment", args=[attachment.public_id]),
    ]
    client.force_login(member)
    assert [client.get(u).status_code for u in urls] == [200, 200, 200]

    manager = staff
    if channel.tier_id == "C":
        manager = make_user("c.owner@example.jp", real_name="運営 二郎", verified=True)
        channel.workspace.owners.add(manager)
    membership = Membership.objects.get(channel=channel, user=member)
    services.do_remove_member(actor=manager, membership=membership)

    # The same logged-in session, no new login: every page and file is now a 404.
    assert [client.get(u).status_code for u in urls] == [404, 404, 404]
    assert Membership.objects.get(pk=membership.pk).state == Membership.State.REMOVED


def test_queued_notification_for_a_removed_member_is_not_sent(
    staff, stakeholder, channel_b, django_capture_on_commit_callbacks
):
    member = make_user("follower@example.jp", real_name="通知 待子", verified=True)
    services.do_grant_membership(actor=staff, channel=channel_b, user=member)
    services.do_follow(actor=member, channel=channel_b)
    # Enqueued, not yet run (the broker is slow, or down):
    with django_capture_on_commit_callbacks(execute=False):
        services.do_create_thread(
            actor=stakeholder, channel=channel_b, title="次回の議題", body="議題案です。", kind="public-private"
        )
    assert outbox.pending_count() >= 1
    services.do_remove_member(actor=staff, membership=Membership.objects.get(channel=channel_b, user=member))
    mail.outbox.clear()
    outbox.drain()
    assert outbox.pending_count() == 0
    assert [m for m in mail.outbox if member.email in m.to] == []


def test_removed_members_lose_their_follows(staff, channel_b):
    member = make_user("f2@example.jp", real_name="通知 太郎", verified=True)
    services.do_grant_membership(actor=staff, channel=channel_b, user=member)
    services.do_follow(actor=member, channel=channel_b)
    services.do_remove_member(actor=staff, membership=Membership.objects.get(channel=channel_b, user=member))
    assert not Follow.objects.filter(user=member).exists()


def test_managers_cannot_remove_themselves(staff, channel_b):
    services.do_grant_membership(actor=staff, channel=channel_b, user=staff)
    with pytest.raises(services.MembershipError):
        services.do_remove_member(actor=staff, membership=Membership.objects.get(channel=channel_b, user=staff))


# ------------------------------------------------------------------ batch rule = single rule
def test_viewers_among_agrees_with_can_view_channel(
    city, citizen, citizen_without_pen_name, stakeholder, staff, moderator, channel_a, channel_b, workspace_c
):
    suspended = make_user("susp@example.jp", real_name="停止 中", verified=True)
    from django.utils import timezone

    suspended.suspended_until = timezone.now() + timezone.timedelta(days=3)
    suspended.save()
    services.do_grant_membership(actor=None, channel=channel_b, user=suspended)
    superuser = make_user("root@example.jp", is_superuser=True)
    inactive = make_user("gone@example.jp", is_active=False)
    members_only = Channel.objects.filter(tier_id="A").exclude(pk=channel_a.pk).first()
    members_only.members_only = True
    members_only.save()
    users = [citizen, citizen_without_pen_name, stakeholder, staff, moderator, suspended, superuser, inactive]
    for channel in (channel_a, channel_b, workspace_c, members_only, *Channel.objects.filter(tier_id__in=["B", "C"])):
        fresh = [type(u).objects.get(pk=u.pk) for u in users]
        batch = permissions.viewers_among(channel, fresh)
        single = {u.pk for u in fresh if permissions.is_signed_in(u) and permissions.can_view_channel(u, channel)}
        assert batch == single, channel.slug


def test_pending_invitation_shows_only_the_typed_address(client, staff, channel_b, citizen, run_on_commit):
    """Until they accept, the inviter learns neither whether the address has an account nor whose it is."""
    run_on_commit(services.do_invite, actor=staff, channel=channel_b, email=citizen.email)
    client.force_login(staff)
    body = client.get(reverse("channels:members", args=[channel_b.slug])).content.decode()
    assert citizen.email in body
    assert citizen.real_name not in body and citizen.pen_name not in body
