"""A staff member writes a NewsPage in the Wagtail admin and submits it to review; a reviewer
approves and publishes it; citizens see it on the home page and in the feed. The public pages
visited pass axe-core, on a phone too."""

import re

from django.contrib.auth.models import Group

from cms.models import NewsPage, SectionPage
from cms.setup import EDITORS_GROUP, REVIEWERS_GROUP

from ..conftest import make_user
from .helpers import screenshot

PASSWORD = "pw-kumagaya-2024"
TITLE = "交通ワークショップの参加者を募集します"


def staff_member(email: str, group: str):
    user = make_user(email, real_name="熊谷 職員", staff=True, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def test_news_page_from_draft_through_review_to_the_home_page(new_page, login, axe_check, live_city, settings):
    # Wagtail 8 autosaves drafts every 500 ms; its requests racing the submit would lock the
    # in-memory SQLite test database shared with the live server (not an issue on PostgreSQL).
    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0
    editor = staff_member("kouhou.editor@example.jp", EDITORS_GROUP)
    reviewer = staff_member("kouhou.reviewer@example.jp", REVIEWERS_GROUP)
    news = SectionPage.objects.get(section_key="news")

    # 1. The editor writes the page in the Wagtail admin (its JavaScript: StreamField, Draftail).
    page = new_page("desktop")
    login(page, editor.email, PASSWORD, next_url="/cms-admin/")
    page.goto(f"/cms-admin/pages/add/cms/newspage/{news.pk}/")
    page.fill("#id_title", TITLE)
    page.select_option("#id_department", label="都市計画課")
    page.fill("#id_summary", "市民の皆さんと中心市街地の交通について話し合います。")
    page.locator(".c-sf-add-button").first.click()
    page.get_by_role("option", name="本文").click()
    body = page.locator(".public-DraftEditor-content").first
    body.wait_for()
    body.click()
    body.focus()
    page.keyboard.type("どなたでも参加できます。申込みは電話でも受け付けます。")
    page.wait_for_function(
        "() => document.querySelector('.public-DraftEditor-content').innerText.includes('参加できます')"
    )
    page.locator("#id_summary").click()  # leave the editor: Draftail writes its value into the form
    page.wait_for_timeout(300)
    page.locator("[data-w-dropdown-target=toggle]").last.click()
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("市の確認（city review）に提出する")).click()
    screenshot(page, "official-journey-submitted")
    draft = NewsPage.objects.get(title=TITLE)
    assert not draft.live
    assert draft.slug.isascii() and draft.slug.startswith("news-")
    assert draft.current_workflow_state is not None
    assert page.js_errors == []

    # Not yet public.
    citizen = new_page("phone")
    citizen.goto("/")
    assert TITLE not in citizen.inner_text("main")

    # 2. The reviewer approves and publishes.
    review = new_page("desktop")
    login(review, reviewer.email, PASSWORD, next_url="/cms-admin/")
    review.goto(f"/cms-admin/pages/{draft.pk}/edit/")
    review.locator("[data-w-dropdown-target=toggle]").last.click()
    with review.expect_navigation():
        review.get_by_role("button", name="承認と公開", exact=True).click()
    screenshot(review, "official-journey-approved")
    draft.refresh_from_db()
    assert draft.live
    assert review.js_errors == []

    # 3. A citizen finds it on the home page, on its own page and in the feed.
    citizen.goto("/")
    assert TITLE in citizen.inner_text("main")
    assert "熊谷市の公式情報" in citizen.inner_text("header")
    axe_check(citizen)
    screenshot(citizen, "official-journey-home-phone")
    citizen.get_by_role("link", name=TITLE).click()
    citizen.wait_for_load_state()
    main = citizen.inner_text("main")
    assert "担当課：都市計画課" in main and "最終更新" in main and "どなたでも参加できます" in main
    axe_check(citizen)
    screenshot(citizen, "official-journey-news-phone")
    feed = citizen.request.get(f"{news.url}feed/")
    assert feed.ok and TITLE in feed.text() and "熊谷市の公式情報" in feed.text()
    assert citizen.js_errors == []


def test_archive_search_and_guide_pages_are_accessible(viewport_page, axe_check, live_city):
    page = viewport_page
    for path, text in (
        ("/archive/", "令和6年度"),
        ("/search/?q=ﾜｰｸｼｮｯﾌﾟ", "サイト内検索"),
        ("/search/?q=交通", "交通"),
        ("/systems/", "Webコモンスペースと関連するシステムの関係"),
        ("/systems/systems-guide/", "ツノルバ"),
    ):
        response = page.goto(path)
        assert response.status == 200, path
        assert text in page.inner_text("main"), path
        axe_check(page)
    # One record page: the first meeting in the list.
    page.goto("/archive/")
    page.locator(".meeting-title a").first.click()
    page.wait_for_load_state()
    assert "議事録・資料" in page.inner_text("main")
    axe_check(page)
    screenshot(page, f"official-record-{page.viewport_size['width']}")
    assert page.js_errors == []
