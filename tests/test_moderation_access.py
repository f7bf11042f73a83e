"""Who may open what under /moderation/: everyone but moderators gets 404 (the same as "missing")."""

import pytest
from django.urls import URLPattern, reverse

from channels import services as channel_services
from kumagaya_portal.accounts.models import Department
from moderation import urls as moderation_urls
from moderation.models import Escalation, NGWord, QueueItem
from tests.conftest import make_user
from tests.test_moderation_support import *  # noqa: F403
from tests.test_moderation_support import act, flag_as, flaggers, html

pytestmark = pytest.mark.django_db

# URLs open to people who are not moderators, and to whom.
PUBLIC = {"transparency"}
SIGNED_IN = {"flag", "withdraw_flag", "flag_thread"}
DEPARTMENT_STAFF = {"escalations", "escalation"}


@pytest.fixture
def world(thread_a, other_citizen, mod):
    post = channel_services.do_reply(actor=other_citizen, thread=thread_a, body="確認対象の投稿")
    flag_as(flaggers(1)[0], post)
    act(mod, post, "escalate", reason="確認してください")
    NGWord.objects.create(word="テスト語", key="テスト語")
    return {"post": post, "thread": thread_a}


def sample_kwargs(pattern: URLPattern, world) -> dict:
    values = {
        "post_id": world["post"].pk,
        "thread_id": world["thread"].pk,
        "pk": None,
    }
    kwargs = {}
    for name in pattern.pattern.converters:
        if name == "pk":
            kwargs[name] = Escalation.objects.get().pk if "escalation" in pattern.name else NGWord.objects.get().pk
        else:
            kwargs[name] = values[name]
    return kwargs


def all_urls(world) -> list[tuple[str, str]]:
    return [
        (p.name, reverse(f"moderation:{p.name}", kwargs=sample_kwargs(p, world))) for p in moderation_urls.urlpatterns
    ]


def outsiders():
    other_dept = Department.objects.exclude(escalation_contact=True).first()
    staff_elsewhere = make_user("elsewhere.staff@example.jp", real_name="他課 太郎", staff=True)
    staff_elsewhere.department = other_dept
    staff_elsewhere.save()
    nodept = make_user("nodept.staff@example.jp", real_name="無所属", staff=True)
    nodept.department = None
    nodept.save()
    return {
        "anonymous": None,
        "citizen": make_user("plain.citizen@example.jp", pen_name="ふつうの市民"),
        "stakeholder": make_user("plain.stake@example.jp", real_name="関係 者", organisation="NPO", verified=True),
        "staff_of_other_department": staff_elsewhere,
        "staff_without_department": nodept,
    }


def test_every_moderation_url_is_404_for_non_moderators(client, world):
    urls = all_urls(world)
    assert len(urls) == len(moderation_urls.urlpatterns) >= 15
    for role, user in outsiders().items():
        client.logout()
        if user:
            client.force_login(user)
        for name, url in urls:
            if name in PUBLIC:
                continue
            if name in SIGNED_IN:
                expected = {302} if user is None else {200, 302, 405}
                assert client.get(url).status_code in expected, (role, name)
                continue
            if name == "escalations" and role == "staff_of_other_department":
                # Every department has its own list (empty here): never another department's items.
                response = client.get(url)
                assert response.status_code == 200 and "確認してください" not in html(response)
                continue
            for method in (client.get, client.post):
                assert method(url).status_code == 404, (role, name, method.__name__)


def test_public_transparency_page(client, world):
    assert client.get(reverse("moderation:transparency")).status_code == 200


def test_department_staff_see_their_escalations_only(client, world, staff):
    client.force_login(staff)
    assert client.get(reverse("moderation:escalations")).status_code == 200
    assert client.get(reverse("moderation:escalation", args=[Escalation.objects.get().pk])).status_code == 200
    assert client.get(reverse("moderation:queue")).status_code == 404
    assert client.get(reverse("moderation:log")).status_code == 404


def test_moderators_reach_every_page(client, world, mod):
    client.force_login(mod)
    for name, url in all_urls(world):
        if name in {"act", "claim", "ng_word_delete", "withdraw_flag", "identity"}:
            continue  # POST-only, or (identity) a permission of its own, tested below
        assert client.get(url).status_code in (200, 302), name


def test_channel_moderator_sees_only_their_channel(client, channel_moderator, channel_a, staff, world):
    other = channel_services.do_create_thread(
        actor=staff,
        channel=channel_a.__class__.objects.get(slug="smart-cool-city"),
        title="別チャンネル",
        body="別チャンネルの投稿",
        kind="public-private",
    )
    other_post = other.posts.get()
    flag_as(flaggers(1)[0], other_post)
    client.force_login(channel_moderator)
    queue = html(client.get(reverse("moderation:queue") + "?state="))
    assert f"投稿 {world['post'].pk}" in queue and f"投稿 {other_post.pk}" not in queue
    assert client.get(reverse("moderation:item", args=[world["post"].pk])).status_code == 200
    assert client.get(reverse("moderation:item", args=[other_post.pk])).status_code == 404
    response = client.post(
        reverse("moderation:act", args=[other_post.pk]),
        {"action": "hide", "reason": "x", "version": QueueItem.objects.get(post=other_post).version},
    )
    assert response.status_code == 404
    assert client.get(reverse("moderation:escalations")).status_code == 404  # a global moderators' list
    log = html(client.get(reverse("moderation:log")))
    assert "別チャンネル" not in log


def test_identity_needs_its_own_permission_and_a_reason(client, world, mod, other_citizen):
    from django.contrib.auth.models import Permission

    from moderation.models import AuditEntry

    post = world["post"]
    client.force_login(mod)
    url = reverse("moderation:identity", args=[post.pk])
    assert client.get(url).status_code == 404
    page = html(client.get(reverse("moderation:item", args=[post.pk])))
    assert "別府 太郎" not in page and "other.citizen@example.jp" not in page and "別の風" in page
    mod.user_permissions.add(Permission.objects.get(codename="view_identity"))
    mod = type(mod).objects.get(pk=mod.pk)  # fresh permission cache
    client.force_login(mod)
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "短い"})
    assert response.status_code == 200 and "別府 太郎" not in html(response)
    assert not AuditEntry.objects.filter(action="view_identity").exists()
    response = client.post(url, {"reason": "警察からの照会（令和6年第12号）に基づき確認します"})
    assert "別府 太郎" in html(response) and "other.citizen@example.jp" in html(response)
    assert "no-store" in response["Cache-Control"]
    entry = AuditEntry.objects.get(action="view_identity")
    assert entry.actor == mod and entry.subject_user == other_citizen and "照会" in entry.reason


def test_held_post_cannot_be_found_through_the_flag_pages(client, thread_a, other_citizen, reader):
    """A held post (here: a phone number) is 404 on the flag pages as on the thread page,
    for everyone but its author and moderators: the flag form must not confirm it exists."""
    held = channel_services.do_reply(actor=other_citizen, thread=thread_a, body="電話は090-1234-5678です")
    assert held.visibility == "pending"
    client.force_login(reader)
    for name, kwargs in [("flag", {"post_id": held.pk}), ("withdraw_flag", {"post_id": held.pk})]:
        url = reverse(f"moderation:{name}", kwargs=kwargs)
        assert client.get(url).status_code in (404, 405)
        assert client.post(url, {"reason": "spam"}).status_code == 404
    assert not held.flags.exists()
