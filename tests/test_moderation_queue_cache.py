"""The moderation queue from each moderator's own cached copy: any flag, decision or post
change shows at once, and nobody gets a copy the queue's own rule would not let them see."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import remove_perm

from channels import services as channel_services
from kumagaya_portal import page_cache
from tests.test_moderation_support import *  # noqa: F403
from tests.test_moderation_support import act, flag_as, flaggers, html

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_on")]
QUEUE = "/moderation/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def flagged_post(thread, author, body):
    post = channel_services.do_reply(actor=author, thread=thread, body=body)
    flag_as(flaggers(1)[0], post)
    return post


# Committed for real: a test transaction that made the moderator reads permissions itself.
@pytest.mark.django_db(transaction=True)
def test_a_moderators_second_look_is_their_cached_copy(mod, thread_a, other_citizen):
    post = flagged_post(thread_a, other_citizen, "駅前の看板が見づらい")
    moderator = signed_in(mod)
    first = moderator.get(QUEUE)
    assert first.headers.get(page_cache.HIT_HEADER) == "miss"
    with CaptureQueriesContext(connection) as ctx:
        second = moderator.get(QUEUE)
    # The session and the user; permissions are remembered.
    assert len(ctx) <= 2, [q["sql"] for q in ctx.captured_queries]
    assert second.headers.get(page_cache.HIT_HEADER) == "hit"
    assert f"投稿 {post.pk}" in html(second)
    # The logout form on the copy carries this request's own CSRF token.
    assert "__pagecache-csrf-token__" not in html(second)


def test_a_new_flag_and_a_decision_show_at_once(mod, thread_a, other_citizen):
    first = flagged_post(thread_a, other_citizen, "最初の通報")
    moderator = signed_in(mod)
    moderator.get(QUEUE)
    assert moderator.get(QUEUE).headers.get(page_cache.HIT_HEADER) == "hit"

    second = flagged_post(thread_a, other_citizen, "二つ目の通報")
    page = moderator.get(QUEUE)
    assert page.headers.get(page_cache.HIT_HEADER) == "miss"
    assert f"投稿 {second.pk}" in html(page)

    act(mod, first, "dismiss", reason="問題なし")
    page = html(moderator.get(QUEUE))
    assert f"投稿 {first.pk}" not in page and f"投稿 {second.pk}" in page


def test_an_edited_post_and_a_new_pen_name_show_at_once(mod, thread_a, other_citizen):
    from kumagaya_portal.accounts.services import do_set_pen_name

    post = flagged_post(thread_a, other_citizen, "元の本文です")
    moderator = signed_in(mod)
    assert "元の本文です" in html(moderator.get(QUEUE))
    channel_services.do_edit_post(actor=other_citizen, post=post, body="直した本文です")
    do_set_pen_name(actor=other_citizen, pen_name="荒川の土手")
    page = html(moderator.get(QUEUE))
    assert "直した本文です" in page and "元の本文です" not in page
    assert "荒川の土手" in page


def test_each_moderator_sees_only_their_own_copy(
    mod, channel_moderator, thread_a, other_citizen, stakeholder, channel_b
):
    in_a = flagged_post(thread_a, other_citizen, "A の投稿")
    b_thread = channel_services.do_create_thread(
        actor=stakeholder, channel=channel_b, title="B の議題", body="B の投稿", kind="public-private"
    )
    b_post = b_thread.posts.get()
    (b_member,) = flaggers(1)
    channel_services.do_grant_membership(actor=None, channel=channel_b, user=b_member)
    flag_as(b_member, b_post)

    everything = signed_in(mod)
    everything.get(QUEUE)
    assert f"投稿 {b_post.pk}" in html(everything.get(QUEUE))
    only_a = signed_in(channel_moderator)
    page = only_a.get(QUEUE)
    assert page.headers.get(page_cache.HIT_HEADER) == "miss"
    assert f"投稿 {in_a.pk}" in html(page) and f"投稿 {b_post.pk}" not in html(page)


def test_a_moderator_who_loses_the_role_gets_404_not_the_copy(
    mod, channel_moderator, channel_a, thread_a, other_citizen
):
    flagged_post(thread_a, other_citizen, "確認してください")
    global_mod, channel_mod = signed_in(mod), signed_in(channel_moderator)
    for client in (global_mod, channel_mod):
        client.get(QUEUE)
        assert client.get(QUEUE).headers.get(page_cache.HIT_HEADER) == "hit"

    mod.groups.remove(Group.objects.get(name="モデレーター"))
    remove_perm("channels.moderate_channel", channel_moderator, channel_a)
    assert global_mod.get(QUEUE).status_code == 404
    assert channel_mod.get(QUEUE).status_code == 404


def test_signed_out_visitors_and_citizens_never_get_a_copy(mod, citizen, thread_a, other_citizen):
    flagged_post(thread_a, other_citizen, "確認してください")
    moderator = signed_in(mod)
    moderator.get(QUEUE)
    assert moderator.get(QUEUE).headers.get(page_cache.HIT_HEADER) == "hit"
    assert Client().get(QUEUE).status_code == 404
    assert signed_in(citizen).get(QUEUE).status_code == 404


def test_filters_and_pages_are_kept_apart(mod, thread_a, other_citizen):
    spam = flagged_post(thread_a, other_citizen, "宣伝です")
    moderator = signed_in(mod)
    moderator.get(QUEUE)
    decided = moderator.get(QUEUE + "?state=decided")
    assert decided.headers.get(page_cache.HIT_HEADER) == "miss"
    assert f"投稿 {spam.pk}" not in html(decided)
    assert reverse("moderation:queue") == QUEUE
