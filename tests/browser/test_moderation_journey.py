"""A citizen flags a post → a moderator hides it from the queue → a reader no longer sees it →
the moderator restores it. Every moderation page visited passes axe-core, on desktop and phone."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail

from channels import services as channel_services
from channels.models import Channel, Post
from moderation.models import AuditEntry, Escalation, NGWord
from tests.conftest import make_user

from .helpers import screenshot

PASSWORD = "pw-kumagaya-2024"  # tests.conftest.make_user
SECRET = "駅前の駐輪場は無料にすべきだと思います"


@pytest.fixture
def cast(live_city, settings):
    settings.MODERATION_NEW_ACCOUNT_POSTS = 0
    channel = Channel.objects.get(slug="downtown-vision-editors")
    author = make_user("author.journey@example.jp", real_name="作者 本名", pen_name="駐輪場の人")
    flagger = make_user("flagger.journey@example.jp", real_name="通報 花子", pen_name="通りすがり")
    moderator = make_user("mod.journey@example.jp", real_name="森 由紀", pen_name="見守り係", verified=True)
    group, _ = Group.objects.get_or_create(name="モデレーター")
    group.permissions.add(Permission.objects.get(codename="moderate_channel"))
    moderator.groups.add(group)
    thread = channel_services.do_create_thread(
        actor=author,
        channel=channel,
        title="駅前の駐輪場について",
        body="駐輪場の話をしましょう。",
        kind="intermediate",
    )
    post = channel_services.do_reply(actor=author, thread=thread, body=SECRET)
    return {"author": author, "flagger": flagger, "moderator": moderator, "thread": thread, "post": post}


def thread_path(thread) -> str:
    return f"/lab/{thread.channel.slug}/t/{thread.pk}/"


def test_flag_hide_restore_journey(new_page, login, axe_check, cast):
    post, thread = cast["post"], cast["thread"]

    # 1. A citizen flags the post, on a phone.
    citizen = new_page("phone")
    login(citizen, cast["flagger"].email, PASSWORD)
    citizen.goto(thread_path(thread))
    citizen.locator(f"#post-{post.pk}").get_by_role("link", name="通報する").click()
    citizen.get_by_role("heading", name="投稿を通報する").wait_for()
    axe_check(citizen)
    citizen.get_by_role("button", name="通報する").click()  # no reason chosen yet
    assert "通報の理由を選んでください" in citizen.inner_text("main")
    axe_check(citizen)
    citizen.get_by_label("嫌がらせ・誹謗中傷").check()
    citizen.get_by_label("補足（「その他」の場合は必須）").fill("特定の人を攻撃しています")
    screenshot(citizen, "moderation-flag-phone")
    citizen.get_by_role("button", name="通報する").click()
    citizen.wait_for_url(f"**{thread_path(thread)}*")
    assert "通報を受け付けました" in citizen.inner_text("body")

    # 2. A moderator finds it in the queue and hides it.
    moderator = new_page("desktop")
    login(moderator, cast["moderator"].email, PASSWORD)
    moderator.goto("/moderation/")
    moderator.get_by_role("heading", name="確認待ちの投稿").wait_for()
    axe_check(moderator)
    screenshot(moderator, "moderation-queue-desktop")
    assert "嫌がらせ・誹謗中傷" in moderator.inner_text("main")
    moderator.get_by_role("link", name=f"投稿 {post.pk}").click()
    moderator.get_by_role("heading", name=f"投稿 {post.pk} の確認").wait_for()
    axe_check(moderator)
    screenshot(moderator, "moderation-item-desktop")
    assert "通報 花子" not in moderator.content() and "通りすがり" not in moderator.content()
    decide = moderator.locator("form", has=moderator.get_by_role("group", name="投稿への対応"))
    decide.get_by_label("非表示にする").check()
    decide.get_by_label("理由（対応記録に残り、投稿者にも伝わります）").fill("特定の方への攻撃にあたるため")
    decide.get_by_role("button", name="記録する").click()
    assert "「非表示にした」を記録しました" in moderator.inner_text("body")
    axe_check(moderator)

    # 3. A reader (not signed in) no longer sees it; the rest of the thread stays.
    reader = new_page("phone")
    reader.goto(thread_path(thread))
    body = reader.inner_text("main")
    assert SECRET not in body and "モデレーターにより非表示にされました" in body
    assert "駐輪場の話をしましょう。" in body

    # 4. The moderator restores it; the reader sees it again.
    moderator.reload()
    decide = moderator.locator("form", has=moderator.get_by_role("group", name="投稿への対応"))
    decide.get_by_label("元に戻す（公開する）").check()
    decide.get_by_label("理由（対応記録に残り、投稿者にも伝わります）").fill("確認の結果、問題ありませんでした")
    decide.get_by_role("button", name="記録する").click()
    assert "「元に戻した（公開した）」を記録しました" in moderator.inner_text("body")
    reader.reload()
    assert SECRET in reader.inner_text("main")

    actions = list(AuditEntry.objects.filter(post=post).order_by("id").values_list("action", flat=True))
    assert actions == ["hide", "restore"]
    # The author was told the decisions, never who flagged.
    for message in mail.outbox:
        if cast["author"].email in message.to:
            assert "通報 花子" not in message.body and "通りすがり" not in message.body

    # 5. The other moderation pages pass axe too.
    for path, heading in [
        ("/moderation/log/", "対応記録"),
        ("/moderation/ng-words/", "NGワード"),
        ("/moderation/escalations/", "担当課への回付"),
        ("/moderation/transparency/", "運営状況の公開（Webコモンスペースのモデレーション）"),
    ]:
        moderator.goto(path)
        moderator.get_by_role("heading", name=heading, exact=True).wait_for()
        axe_check(moderator)
        screenshot(moderator, f"moderation-{path.strip('/').replace('/', '-')}")


def test_moderation_pages_on_a_phone(new_page, login, axe_check, cast, staff):
    post = cast["post"]
    mod_user = cast["moderator"]
    from moderation import services

    services.do_flag(
        actor=cast["flagger"], post=post, reason="misinformation", official_url="https://www.city.kumagaya.lg.jp/"
    )
    services.do_decide(
        actor=mod_user,
        post=post,
        action="escalate",
        reason="事実関係の確認をお願いします",
        expected_version=Post.objects.get(pk=post.pk).queue_item.version,
    )
    NGWord.objects.create(word="テスト語", key="テスト語")
    page = new_page("phone")
    login(page, mod_user.email, PASSWORD)
    for path in ["/moderation/?state=", f"/moderation/post/{post.pk}/", "/moderation/log/", "/moderation/ng-words/"]:
        page.goto(path)
        axe_check(page)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, (path, width)  # nothing forces sideways scrolling
        screenshot(page, f"moderation-phone-{path.strip('/').replace('/', '-').replace('?', '')}")

    # The department's staff answer the escalation in their own list.
    staff_page = new_page("phone")
    login(staff_page, staff.email, PASSWORD)
    escalation = Escalation.objects.get()
    staff_page.goto("/moderation/escalations/")
    axe_check(staff_page)
    staff_page.get_by_role("link", name=f"回付 {escalation.pk}（政策調査課）").click()
    axe_check(staff_page)
    staff_page.get_by_label("回答（モデレーターに伝わります。対応記録に残ります）").fill("公式ページのとおりです。")
    staff_page.get_by_role("button", name="回答して完了する").click()
    assert "回答を記録し" in staff_page.inner_text("body")
    axe_check(staff_page)
    screenshot(staff_page, "moderation-escalation-answered-phone")
    assert Post.objects.get(pk=post.pk).queue_item.state == "open"
