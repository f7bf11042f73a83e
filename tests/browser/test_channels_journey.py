"""The channels journey in chromium, on desktop and on a 390px phone; every page visited passes axe-core.

A citizen (created here, e-mail verified, no pen name yet) logs in, is asked for a pen name on the
way to the first post, posts in an A channel and sees it under the pen name only; a stakeholder
posts in the B planning room under real name and organisation; a staff reply carries the badge
and the disclaimer.
"""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model

from channels.models import Channel, Thread
from channels.services import do_grant_membership
from kumagaya_portal.accounts.models import Department, StaffRules

from .helpers import screenshot

PASSWORD = "kumagaya-journey-2024"


def make(email, **fields):
    user = get_user_model().objects.create_user(
        email=email, password=PASSWORD, guidelines_version=settings.GUIDELINES_VERSION, **fields
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def kind_of(page) -> str:
    return "phone" if page.viewport_size["width"] < 500 else "desktop"


def test_citizen_posts_in_a_under_a_pen_name(viewport_page, axe_check, login):
    page = viewport_page
    kind = kind_of(page)
    citizen = make(f"hanako-{kind}@example.jp", real_name="熊谷 花子")
    channel = Channel.objects.get(slug="downtown-vision-editors")

    login(page, citizen.email, PASSWORD, next_url="/lab/")
    page.get_by_role("heading", name="Webコモンスペース", exact=True).wait_for()
    axe_check(page)
    page.get_by_role("link", name=channel.display_name).first.click()
    page.get_by_role("heading", name=channel.display_name).wait_for()
    assert "担当課" in page.inner_text("main")
    screenshot(page, f"channels-{kind}-channel-a")
    axe_check(page)

    # No pen name yet: the channel says so and links to the pen-name page, which returns here.
    assert "ペンネームを決めてください" in page.inner_text("main")
    page.get_by_role("link", name="設定する").click()
    page.get_by_role("heading", name="ペンネームを決める").wait_for()
    axe_check(page)
    page.get_by_label("ペンネーム").fill(f"荒川の土手{kind[0]}")
    page.get_by_role("button", name="このペンネームにする").click()
    page.get_by_role("heading", name="トピックを始める").wait_for()
    assert f"ペンネーム「荒川の土手{kind[0]}」で投稿します" in page.inner_text("main")
    axe_check(page)

    # A rejected post keeps the text; the error is announced and tied to its field.
    page.get_by_label("本文").fill("土手の桜並木にベンチがほしいです。\n散歩の途中で休みたい。")
    page.get_by_role("button", name="投稿する").click()
    assert "タイトルを入力してください。" in page.inner_text("main")
    assert "散歩の途中で休みたい" in page.get_by_label("本文").input_value()
    assert page.get_by_label("タイトル").get_attribute("aria-invalid") == "true"
    screenshot(page, f"channels-{kind}-form-error")
    axe_check(page)

    page.get_by_label("タイトル").fill("荒川の土手にベンチを")
    page.get_by_label("取組みの種類").select_option("private-led")
    page.get_by_role("button", name="投稿する").click()
    page.get_by_role("heading", name="荒川の土手にベンチを").wait_for()
    main = page.inner_text("main")
    assert f"荒川の土手{kind[0]}" in main
    assert "熊谷 花子" not in page.content() and citizen.email not in page.content()
    # A new account's first posts wait for a moderator: the author sees it, with the notice.
    assert "散歩の途中で休みたい" in main
    screenshot(page, f"channels-{kind}-thread-a")
    axe_check(page)
    assert page.js_errors == []


def test_stakeholder_in_b_and_staff_disclaimer(viewport_page, new_page, axe_check, login):
    page = viewport_page
    kind = kind_of(page)
    b = Channel.objects.get(slug="planning-downtown-vision-editors")
    stakeholder = make(
        f"kenta-{kind}@example.jp",
        real_name="真鍋 健太",
        organisation="株式会社まちなかデザイン",
        real_name_verified=True,
    )
    do_grant_membership(actor=None, channel=b, user=stakeholder)
    staff = make(
        f"makoto-{kind}@example.jp",
        real_name="高城 誠",
        is_city_staff=True,
        real_name_verified=True,
        department=Department.objects.get(slug="policy-research"),
        staff_rules_version=StaffRules.current().version,
    )

    login(page, stakeholder.email, PASSWORD, next_url=f"/lab/{b.slug}/")
    page.get_by_role("heading", name=b.display_name).wait_for()
    assert "実名と所属で表示されます" in page.inner_text("main")
    axe_check(page)
    page.get_by_role("link", name="トピックを始める").click()
    page.get_by_label("タイトル").fill("次回の編集会議の進め方")
    page.get_by_label("取組みの種類").select_option("public-private")
    page.get_by_label("本文").fill("次回は\n- 駅前の写真\n- 地図\nを持ち寄りましょう。")
    page.get_by_role("button", name="投稿する").click()
    page.get_by_role("heading", name="次回の編集会議の進め方").wait_for()
    assert "真鍋 健太（株式会社まちなかデザイン）" in page.inner_text("main")
    axe_check(page)
    thread = Thread.objects.get(title="次回の編集会議の進め方")

    staff_page = new_page(kind)
    login(staff_page, staff.email, PASSWORD, next_url=f"/lab/{b.slug}/t/{thread.pk}/")
    staff_page.get_by_role("textbox", name="返信").fill("資料は政策調査課で用意します。")
    staff_page.get_by_role("button", name="返信する").click()
    staff_page.get_by_text("資料は政策調査課で用意します。").wait_for()
    article = staff_page.locator("article.post").last
    text = article.inner_text()
    assert "高城 誠" in text and "市職員（政策調査課）" in text
    assert StaffRules.current().disclaimer_ja in text and StaffRules.current().not_official_ja in text
    assert article.get_by_role("link", name="熊谷市役所Webサイト").get_attribute("href") == settings.OFFICIAL_SITE_URL
    screenshot(staff_page, f"channels-{kind}-staff-reply")
    axe_check(staff_page)

    # The stakeholder sees the staff reply with its disclaimer too; quoting shows the author.
    page.reload()
    assert StaffRules.current().disclaimer_ja in page.inner_text("main")
    page.locator("article.post").last.get_by_role("link", name="引用して返信").click()
    page.get_by_role("heading", name="返信する").wait_for()
    assert "高城 誠" in page.inner_text("main")
    axe_check(page)
    page.get_by_role("textbox", name="返信").fill("ありがとうございます。")
    page.get_by_role("button", name="返信する").click()
    page.get_by_text("ありがとうございます。").wait_for()
    screenshot(page, f"channels-{kind}-thread-b")
    axe_check(page)
    assert page.js_errors == [] and staff_page.js_errors == []
