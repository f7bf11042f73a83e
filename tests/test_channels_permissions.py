"""The permission matrix: every channel view and action × every role, per tier (adhocracy4 style).

Cells: 200/403/404 are status codes; 302 redirects are named by where they go:
  login = to the login page, pen = to choose a pen name (accounts:pen_name?next=),
  ok    = the action happened (302 to the result; the effect is checked too).
Each action runs in a savepoint that is rolled back, so every cell starts from the same world.

Roles: anon (not logged in), nopen (citizen without pen name), cit (citizen), memB (member of
this B channel), othB (member of another B channel), memC (member of this workspace), othC
(member of another workspace), staff (city staff, Policy Research Division), dstaff (city staff
of the channel's department), mod (moderator), susp (suspended; member of this B and C),
removed (was a member of this B and C, removed through channels.services.do_remove_member).

Targets: the tier's thread and a reply by the tier's author; "own" = a post the role wrote in
that thread earlier (for anon: the author's post).
"""

import pytest
from django.db import transaction
from django.urls import reverse

from channels import services
from channels.models import PhaseChange, Post, Thread
from tests.test_channels_support import *  # noqa: F403
from tests.test_channels_support import ROLES, World, make_role

pytestmark = pytest.mark.django_db

COLUMNS = ["anon", "nopen", "cit", "memB", "othB", "memC", "othC", "staff", "dstaff", "mod", "susp", "removed"]
ROLE_OF = dict(zip(COLUMNS, ROLES, strict=True))

MATRIX = {
    "A": """
    action        anon  nopen cit  memB othB memC othC staff dstaff mod  susp removed
    lab           200   200   200  200  200  200  200  200   200    200  200  200
    channel       200   200   200  200  200  200  200  200   200    200  200  200
    thread        200   200   200  200  200  200  200  200   200    200  200  200
    permalink     ok    ok    ok   ok   ok   ok   ok   ok    ok     ok   ok   ok
    new_form      login pen   200  200  200  200  200  pen   200    pen  403  200
    new_post      login pen   ok   ok   ok   ok   ok   pen   ok     pen  403  ok
    reply_post    login pen   ok   ok   ok   ok   ok   pen   ok     pen  403  ok
    quote_form    login pen   200  200  200  200  200  pen   200    pen  403  200
    edit_form     login 404   404  404  404  404  404  404   404    404  404  404
    edit_post     login 404   404  404  404  404  404  404   404    404  404  404
    delete_post   login 404   404  404  404  404  404  404   404    404  404  404
    edit_own      login 200   200  200  200  200  200  200   200    200  403  200
    delete_own    login ok    ok   ok   ok   ok   ok   ok    ok     ok   ok   ok
    phase         login 403   403  403  403  403  403  ok    ok     ok   403  403
    settings      login 403   403  403  403  403  403  403   200    403  403  403
    revisions     404   404   404  404  404  404  404  404   404    200  404  404
    """,
    "B": """
    action        anon  nopen cit  memB othB memC othC staff dstaff mod  susp removed
    lab           200   200   200  200  200  200  200  200   200    200  200  200
    channel       404   404   404  200  404  404  404  200   200    200  200  404
    thread        404   404   404  200  404  404  404  200   200    200  200  404
    permalink     404   404   404  ok   404  404  404  ok    ok     ok   ok   404
    new_form      404   404   404  200  404  404  404  200   200    403  403  404
    new_post      404   404   404  ok   404  404  404  ok    ok     403  403  404
    reply_post    404   404   404  ok   404  404  404  ok    ok     403  403  404
    quote_form    404   404   404  200  404  404  404  200   200    403  403  404
    edit_form     404   404   404  404  404  404  404  404   404    404  404  404
    edit_post     404   404   404  404  404  404  404  404   404    404  404  404
    delete_post   404   404   404  404  404  404  404  404   404    404  404  404
    edit_own      404   404   404  200  404  404  404  200   200    403  403  404
    delete_own    404   404   404  ok   404  404  404  ok    ok     ok   ok   404
    phase         404   404   404  403  404  404  404  ok    ok     ok   403  404
    settings      404   404   404  403  404  404  404  403   200    403  403  404
    revisions     404   404   404  404  404  404  404  404   404    200  404  404
    """,
    "C": """
    action        anon  nopen cit  memB othB memC othC staff dstaff mod  susp removed
    lab           200   200   200  200  200  200  200  200   200    200  200  200
    channel       404   404   404  404  404  200  404  404   404    200  200  404
    thread        404   404   404  404  404  200  404  404   404    200  200  404
    permalink     404   404   404  404  404  ok   404  404   404    ok   ok   404
    new_form      404   404   404  404  404  200  404  404   404    403  403  404
    new_post      404   404   404  404  404  ok   404  404   404    403  403  404
    reply_post    404   404   404  404  404  ok   404  404   404    403  403  404
    quote_form    404   404   404  404  404  200  404  404   404    403  403  404
    edit_form     404   404   404  404  404  404  404  404   404    404  404  404
    edit_post     404   404   404  404  404  404  404  404   404    404  404  404
    delete_post   404   404   404  404  404  404  404  404   404    404  404  404
    edit_own      404   404   404  404  404  200  404  404   404    403  403  404
    delete_own    404   404   404  404  404  ok   404  404   404    ok   ok   404
    phase         404   404   404  404  404  403  404  404   404    ok   403  404
    settings      404   404   404  404  404  403  404  404   404    403  403  404
    revisions     404   404   404  404  404  404  404  404   404    200  404  404
    """,
}


def parse(table: str) -> dict[str, dict[str, str]]:
    rows = [line.split() for line in table.strip().splitlines()]
    header = rows[0][1:]
    assert header == COLUMNS
    return {row[0]: dict(zip(header, row[1:], strict=True)) for row in rows[1:]}


EXPECTED = {tier: parse(table) for tier, table in MATRIX.items()}
ACTIONS = list(EXPECTED["A"])


def outcome(response) -> str:
    if response.status_code == 302:
        location = response["Location"]
        for name, label in (
            ("account_login", "login"),
            ("accounts:pen_name", "pen"),
            ("accounts:staff_rules", "rules"),
            ("accounts:guidelines", "guide"),
        ):
            if location.startswith(reverse(name) + "?"):
                return label
        return "ok"
    return str(response.status_code)


def perform(client, action: str, w: World, tier: str, own: Post) -> str:
    """Run one action; return its outcome, marked when the effect disagrees with it."""
    channel = w.channel(tier)
    thread = w.threads[tier]
    post = w.posts[tier]
    slug = channel.slug
    effect = None
    if action == "lab":
        response = client.get(reverse("channels:lab"))
    elif action == "channel":
        response = client.get(reverse("channels:channel", args=[slug]))
    elif action == "thread":
        response = client.get(reverse("channels:thread", args=[slug, thread.pk]))
    elif action == "permalink":
        response = client.get(reverse("channels:post", args=[slug, post.pk]))
    elif action == "new_form":
        response = client.get(reverse("channels:new_thread", args=[slug]))
    elif action == "new_post":
        before = Thread.objects.count()
        response = client.post(
            reverse("channels:new_thread", args=[slug]),
            {"title": "行列のトピック", "kind": "private-led", "phase": "planning", "body": "本文"},
        )
        effect = Thread.objects.count() == before + 1
    elif action == "reply_post":
        before = Post.objects.count()
        response = client.post(reverse("channels:reply", args=[slug, thread.pk]), {"body": "行列の返信"})
        effect = Post.objects.count() == before + 1
    elif action == "quote_form":
        response = client.get(reverse("channels:reply", args=[slug, thread.pk]) + f"?quote={post.pk}")
    elif action in ("edit_form", "edit_own"):
        target = post if action == "edit_form" else own
        response = client.get(reverse("channels:edit_post", args=[slug, target.pk]))
    elif action == "edit_post":
        response = client.post(reverse("channels:edit_post", args=[slug, post.pk]), {"body": "書き換え"})
        effect = Post.objects.get(pk=post.pk).body == "書き換え"
    elif action in ("delete_post", "delete_own"):
        target = post if action == "delete_post" else own
        response = client.post(reverse("channels:delete_post", args=[slug, target.pk]))
        effect = Post.objects.get(pk=target.pk).is_deleted_by_author
    elif action == "phase":
        response = client.post(reverse("channels:phase", args=[slug, thread.pk]), {"phase": "execution"})
        effect = PhaseChange.objects.filter(thread=thread).exists()
    elif action == "settings":
        response = client.get(reverse("channels:settings", args=[slug]))
    elif action == "revisions":
        response = client.get(reverse("channels:post_revisions", args=[slug, post.pk]))
    else:
        raise ValueError(action)
    result = outcome(response)
    if effect is not None and effect != (result == "ok"):
        result += "!effect" if effect else "!noeffect"
    return result


@pytest.mark.parametrize("tier", ["A", "B", "C"])
@pytest.mark.parametrize("column", COLUMNS)
def test_permission_matrix(client, world, tier, column):
    user = make_role(ROLE_OF[column])
    if user is not None:
        client.force_login(user)
    # "own": a post this role wrote in the thread before (anonymous has none: the author's).
    own = world.posts[tier]
    if user is not None:
        own = services.do_reply(actor=user, thread=world.threads[tier], body="以前の自分の投稿")
    got = {}
    for action in ACTIONS:
        with transaction.atomic():
            got[action] = perform(client, action, world, tier, own)
            transaction.set_rollback(True)
    expected = {action: EXPECTED[tier][action][column] for action in ACTIONS}
    wrong = {a: f"expected {expected[a]}, got {got[a]}" for a in ACTIONS if got[a] != expected[a]}
    assert not wrong, f"tier {tier}, role {column}: {wrong}"


def test_matrix_covers_every_channel_url():
    """A new URL in channels/urls.py (C1's part) must be added to the matrix."""
    from channels import urls

    covered = {
        "lab",
        "channel",
        "thread",
        "post",
        "new_thread",
        "reply",
        "edit_post",
        "delete_post",
        "phase",
        "settings",
        "post_revisions",
    }
    mine = {p.name for p in urls.urlpatterns if p.callback.__module__ == "channels.views"}
    assert mine <= covered, mine - covered
