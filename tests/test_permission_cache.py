"""A signed-in user's permission rows are read in one query and remembered between requests
(channels.permissions._permissions): fewer queries on every page, and a grant, a removal or a
rolled-back grant still shows on the very next request. Committed transactions, as in
production (the test's own transaction would make every request read them again)."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from channels import permissions
from channels.models import Channel, Membership
from channels.services import do_grant_membership, do_remove_member
from tests.conftest import make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("page_cache_on")]

C_SLUG = "ws-downtown-regeneration-platform"


@pytest.fixture
def workspace(city):
    return Channel.objects.get(slug=C_SLUG)


@pytest.fixture
def member(city):
    return make_user("perm.member@example.jp", real_name="権限 太郎", organisation="まちづくり会社", verified=True)


def channel_page(client, channel):
    return client.get(reverse("channels:channel", args=[channel.slug]))


def permission_queries(ctx) -> int:
    return sum(1 for q in ctx.captured_queries if "auth_permission" in q["sql"] or "guardian_" in q["sql"].lower())


def test_permission_rows_are_read_once_then_remembered(member, workspace):
    do_grant_membership(actor=None, channel=workspace, user=member)
    client = Client()
    client.force_login(member)
    with CaptureQueriesContext(connection) as first:
        assert channel_page(client, workspace).status_code == 200
    # global and channel permissions, user and group, at once
    assert permission_queries(first) == 1, [q["sql"][:200] for q in first.captured_queries]
    with CaptureQueriesContext(connection) as second:
        assert channel_page(client, workspace).status_code == 200
    assert permission_queries(second) == 0, [q["sql"][:200] for q in second.captured_queries]


def test_a_grant_and_a_removal_show_on_the_next_request(member, workspace):
    client = Client()
    client.force_login(member)
    assert channel_page(client, workspace).status_code == 404
    assert channel_page(client, workspace).status_code == 404  # remembered: not a member
    do_grant_membership(actor=None, channel=workspace, user=member)
    assert channel_page(client, workspace).status_code == 200
    admin = make_user("perm.admin@example.jp", real_name="管理 者", is_superuser=True)
    do_remove_member(actor=admin, membership=Membership.objects.get(channel=workspace, user=member))
    assert channel_page(client, workspace).status_code == 404


def test_a_group_permission_shows_on_the_next_request(member):
    client = Client()
    client.force_login(member)
    assert client.get(reverse("moderation:queue")).status_code == 404
    group = Group.objects.create(name="臨時モデレーター")
    group.permissions.add(Permission.objects.get(codename="moderate_channel"))
    assert client.get(reverse("moderation:queue")).status_code == 404  # not in the group yet
    member.groups.add(group)
    assert client.get(reverse("moderation:queue")).status_code == 200
    group.permissions.clear()
    assert client.get(reverse("moderation:queue")).status_code == 404


def test_a_rolled_back_grant_is_not_remembered(member, workspace):
    client = Client()
    client.force_login(member)
    assert channel_page(client, workspace).status_code == 404
    with pytest.raises(RuntimeError), transaction.atomic():
        do_grant_membership(actor=None, channel=workspace, user=member)
        assert permissions.can_view_channel(member, workspace)  # read inside the transaction
        raise RuntimeError("rolled back")
    assert not Membership.objects.filter(user=member).exists()
    assert channel_page(client, workspace).status_code == 404
