"""The official range's Wagtail pages: every type renders and is editable in the admin,
Japanese titles get ASCII slugs, the city-review workflow, the block library, ensure_site."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page, Workflow, WorkflowPage
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from cms.blocks import BodyBlock, ImageBlock
from cms.models import (
    EventPage,
    HomePage,
    NewsPage,
    PolicyPage,
    RelatedLinksPage,
    ReportPage,
    SectionPage,
    SystemsGuidePage,
)
from cms.setup import EDITORS_GROUP, REVIEWERS_GROUP, WORKFLOW_NAME
from kumagaya_portal.accounts.models import Department
from kumagaya_portal.loader import load_city

from .conftest import make_user

MARKER = "熊谷市の公式情報"
OFFICIAL_TYPES = [NewsPage, PolicyPage, RelatedLinksPage, EventPage, ReportPage, SystemsGuidePage]


def section(key: str) -> SectionPage:
    return SectionPage.objects.get(section_key=key)


def department(slug: str = "city-planning") -> Department:
    return Department.objects.get(slug=slug)


def publish(parent: Page, page: Page) -> Page:
    parent.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def make_pages() -> dict:
    d = department()
    return {
        NewsPage: publish(
            section("news"),
            NewsPage(
                title="市民ワークショップの参加者を募集します",
                department=d,
                date=dt.date(2024, 10, 1),
                summary="まちなかの交通について話し合います。",
                body=[
                    {"type": "heading", "value": {"text": "概要", "level": "h2"}},
                    {"type": "paragraph", "value": "<p>どなたでも参加できます。</p>"},
                    {
                        "type": "callout",
                        "value": {"kind": "deadline", "heading": "締切", "text": "<p>10月20日まで</p>"},
                    },
                    {
                        "type": "table",
                        "value": {
                            "data": [["日時", "会場"], ["10月25日", "KUMAGAYA PLACE"]],
                            "first_row_is_table_header": True,
                            "first_col_is_header": False,
                            "table_caption": "開催の概要",
                        },
                    },
                ],
            ),
        ),
        PolicyPage: publish(
            section("vision"),
            PolicyPage(title="熊谷スマートシティ推進ビジョン", department=d, adopted_on=dt.date(2023, 4, 1)),
        ),
        RelatedLinksPage: publish(
            section("related"),
            RelatedLinksPage(
                title="関連する取組み",
                department=d,
                groups=[
                    {
                        "type": "group",
                        "value": {
                            "heading": "都市計画課の取組み",
                            "scope": "department",
                            "department": "都市計画課",
                            "links": [{"title": "立地適正化計画", "url": "https://example.jp/plan", "description": ""}],
                        },
                    },
                    {
                        "type": "group",
                        "value": {
                            "heading": "市全体の計画",
                            "scope": "city",
                            "department": "",
                            "links": [
                                {"title": "熊谷市総合振興計画", "url": "https://example.jp/all", "description": ""}
                            ],
                        },
                    },
                ],
            ),
        ),
        EventPage: publish(
            section("events"),
            EventPage(
                title="まちなかビジョン・ワークショップ",
                department=d,
                date=dt.date(2030, 11, 25),
                start_time=dt.time(15, 0),
                end_time=dt.time(17, 0),
                venue="KUMAGAYA PLACE",
                format="hybrid",
                online_url="https://zoom.example.jp/j/123",
                capacity=30,
                deadline=dt.date(2030, 11, 20),
                how_to_apply="<p>電話（048-000-0000）またはメールでお申し込みください。</p>",
            ),
        ),
        ReportPage: publish(section("events"), ReportPage(title="令和6年度 オープンラウンジ報告書", department=d)),
        SystemsGuidePage: SystemsGuidePage.objects.get(),
    }


def edit_data(page) -> dict:
    """Admin form data for `page` (StreamFields are rendered by JavaScript, so they are given here)."""
    page = page.specific
    data = {"title": page.title, "slug": page.slug, "comments": inline_formset([])}
    if hasattr(page, "department_id"):
        data["department"] = page.department_id or ""
    if isinstance(page, (HomePage, SectionPage)):
        data["intro"] = rich_text("<p>はじめに</p>")
        return nested_form_data(data)
    data.update(summary=page.summary, body=streamfield([("paragraph", rich_text("<p>本文です。</p>"))]))
    if isinstance(page, NewsPage):
        data["date"] = page.date.isoformat()
    if isinstance(page, PolicyPage):
        data.update(adopted_on="2023-04-01", documents=inline_formset([]))
    if isinstance(page, RelatedLinksPage):
        data["groups"] = streamfield([])
    if isinstance(page, EventPage):
        data.update(
            date=page.date.isoformat(),
            start_time="15:00",
            end_time="17:00",
            venue=page.venue,
            format=page.format,
            online_url=page.online_url,
            capacity=page.capacity,
            deadline=page.deadline.isoformat(),
            how_to_apply=rich_text("<p>メールで</p>"),
        )
    if isinstance(page, ReportPage):
        data.update(documents=inline_formset([]), summary_threads=inline_formset([]))
    if isinstance(page, SystemsGuidePage):
        data["tools"] = streamfield([])
    return nested_form_data(data)


# ------------------------------------------------------------------ Wagtail's test utilities
class TestOfficialPagesInAdmin(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.pages = make_pages()

    def test_section_accepts_every_official_type(self):
        self.assertAllowedSubpageTypes(HomePage, {SectionPage})
        self.assertAllowedSubpageTypes(SectionPage, set(OFFICIAL_TYPES))
        for model in OFFICIAL_TYPES:
            self.assertCanCreateAt(SectionPage, model)
            self.assertCanNotCreateAt(HomePage, model)

    def test_every_page_type_renders_with_marker_department_and_last_update(self):
        for page in [HomePage.objects.get(), section("news"), *self.pages.values()]:
            self.assertPageIsRenderable(page)
            html = self.client.get(page.url).content.decode()
            assert MARKER in html, page
            assert "担当課" in html and page.department.name_ja in html, page
            day = timezone.localtime(page.last_published_at).date()
            weekday = "月火水木金土日"[day.weekday()]
            assert "最終更新" in html and f"{day.year}年{day.month}月{day.day}日（{weekday}）</time>" in html

    def test_every_page_type_is_editable_in_the_admin(self):
        for page in [HomePage.objects.get(), section("news"), *self.pages.values()]:
            data = edit_data(page)
            self.assertPageIsEditable(page, post_data=data)
            self.assertPageIsPreviewable(page, post_data=data)
        # and the edit really saved (a new title through the same form data)
        page = self.pages[PolicyPage]
        self.client.force_login(self.create_superuser("admin-edit"))
        url = reverse("wagtailadmin_pages:edit", args=[page.pk])
        response = self.client.post(url, {**edit_data(page), "title": "改訂したビジョン", "action-publish": "1"})
        assert response.status_code == 302
        page.refresh_from_db()
        assert page.title == "改訂したビジョン" and page.live

    def test_news_with_a_japanese_title_created_twice_in_the_admin(self):
        self.client.force_login(self.create_superuser("admin-cms"))
        news = section("news")
        data = nested_form_data(
            {
                "title": "交通の社会実験を行います",
                "department": department().pk,
                "date": "2024-10-01",
                "summary": "中心市街地で実施します。",
                "body": streamfield([("paragraph", rich_text("<p>詳しくは後日お知らせします。</p>"))]),
            }
        )
        self.assertCanCreate(news, NewsPage, dict(data))
        self.assertCanCreate(news, NewsPage, dict(data))
        slugs = list(
            NewsPage.objects.child_of(news).filter(title="交通の社会実験を行います").values_list("slug", flat=True)
        )
        today = timezone.localdate().strftime("%Y%m%d")
        assert len(set(slugs)) == 2
        assert all(slug.isascii() and slug.startswith(f"news-{today}") for slug in slugs)

    def test_event_page_needs_an_online_url_when_hybrid(self):
        self.client.force_login(self.create_superuser("admin-event"))
        data = nested_form_data(
            {
                "title": "ハイブリッド開催の説明会",
                "slug": "hybrid-briefing",
                "department": department().pk,
                "date": "2030-12-01",
                "format": "hybrid",
                "online_url": "",
                "body": streamfield([]),
                "action-publish": "action-publish",
            }
        )
        url = reverse("wagtailadmin_pages:add", args=["cms", "eventpage", section("events").pk])
        response = self.client.post(url, data)
        assert response.status_code == 200
        assert "参加用URLを入力してください" in response.content.decode()
        assert not EventPage.objects.filter(slug="hybrid-briefing").exists()


# ------------------------------------------------------------------------------ slugs
def test_japanese_titles_get_unique_ascii_slugs_twice_under_the_same_parent(city):
    news = section("news")
    first = publish(news, NewsPage(title="お知らせ", department=department()))
    second = publish(news, NewsPage(title="お知らせ", department=department()))
    assert first.slug and second.slug and first.slug != second.slug
    assert first.slug.isascii() and second.slug.isascii()
    assert first.slug.startswith("news-") and second.slug.startswith("news-")
    assert publish(news, NewsPage(title="Open Data Day 2024", department=department())).slug == "open-data-day-2024"


def test_a_japanese_slug_typed_by_hand_is_replaced_by_an_ascii_one(city, client):
    admin = make_user("slug-admin@example.jp", real_name="管理 者", is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("wagtailadmin_pages:add", args=["cms", "newspage", section("news").pk])
    data = nested_form_data(
        {
            "title": "オープンデータの公開",
            "slug": "オープンデータ",
            "department": department().pk,
            "date": "2024-10-01",
            "body": streamfield([]),
            "action-publish": "action-publish",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    page = NewsPage.objects.get(title="オープンデータの公開")
    assert page.slug.isascii() and page.slug.startswith("news-")
    assert client.get(page.url).status_code == 200


# ----------------------------------------------------------------------- block library
def test_image_block_requires_alternative_text(city):
    from wagtail.images import get_image_model
    from wagtail.images.tests.utils import get_test_image_file

    image = get_image_model().objects.create(title="会場の様子", file=get_test_image_file())
    block = ImageBlock()
    with pytest.raises(ValidationError):
        block.clean(block.to_python({"image": image.pk, "alt": "", "caption": ""}))
    value = block.clean(block.to_python({"image": image.pk, "alt": "20人ほどが机を囲んでいます", "caption": ""}))
    assert 'alt="20人ほどが机を囲んでいます"' in block.render(value)
    assert set(BodyBlock().child_blocks) == {"paragraph", "heading", "image", "document", "embed", "callout", "table"}


def test_related_links_put_the_city_wide_picture_first(city, client):
    page = make_pages()[RelatedLinksPage]
    assert [g.value["scope"] for g in page.ordered_groups()] == ["city", "department"]
    html = client.get(page.url).content.decode()
    assert html.index("市全体の計画") < html.index("都市計画課の取組み")


def test_event_page_shows_the_call(city, client):
    page = make_pages()[EventPage]
    html = client.get(page.url).content.decode()
    for text in (
        "2030年11月25日（月）15:00〜17:00",
        "KUMAGAYA PLACE",
        "https://zoom.example.jp/j/123",
        "30人",
        "2030年11月20日（水）",
        "048-000-0000",
    ):
        assert text in html


# ---------------------------------------------------------------------- ensure_site
def test_systems_guide_and_opening_news_from_the_data_file_once(city):
    load_city()
    load_city()
    guide = SystemsGuidePage.objects.get()
    assert guide.get_parent().specific.section_key == "systems" and guide.live
    names = [block.value["name"] for block in guide.tools]
    for name in (
        "ツノルバ（Decidim）",
        "WebGISPF（Re:Earth）",
        "クラウドラボ（Slack）",
        "（仮）まちLINE（LINEグループ）",
    ):
        assert name in names
    assert NewsPage.objects.child_of(section("news")).count() == 1
    assert HomePage.objects.get().department.slug == "policy-research"


def test_reloading_never_overwrites_staff_edits(city):
    from wagtail.actions.delete_page import DeletePageAction

    guide = SystemsGuidePage.objects.get()
    guide.title = "システムの使い分け（改訂版）"
    guide.save_revision().publish()
    admin = make_user("deleter@example.jp", is_staff=True, is_superuser=True)
    DeletePageAction(NewsPage.objects.get(), user=admin).execute()
    load_city()
    assert SystemsGuidePage.objects.get().title == "システムの使い分け（改訂版）"
    assert not NewsPage.objects.exists()
    DeletePageAction(SystemsGuidePage.objects.get(), user=admin).execute()
    load_city()
    assert not SystemsGuidePage.objects.exists()


# ------------------------------------------------------------------------- workflow
@pytest.fixture
def editor(city):
    user = make_user("editor.staff@example.jp", real_name="編集 太郎", staff=True, is_staff=True)
    user.groups.add(Group.objects.get(name=EDITORS_GROUP))
    return user


@pytest.fixture
def reviewer(city):
    user = make_user("reviewer.staff@example.jp", real_name="確認 花子", staff=True, is_staff=True)
    user.groups.add(Group.objects.get(name=REVIEWERS_GROUP))
    return user


def test_city_review_workflow_is_assigned_to_the_official_tree(city):
    workflow = WorkflowPage.objects.get(page=HomePage.objects.get()).workflow
    assert workflow.name == WORKFLOW_NAME and workflow.active
    task = workflow.tasks.get().specific
    assert list(task.groups.values_list("name", flat=True)) == [REVIEWERS_GROUP]
    assert Workflow.objects.filter(name=WORKFLOW_NAME).count() == 1


def test_draft_review_published(city, client, editor, reviewer):
    news = section("news")
    client.force_login(editor)
    url = reverse("wagtailadmin_pages:add", args=["cms", "newspage", news.pk])
    data = nested_form_data(
        {
            "title": "交通ワークショップを開催しました",
            "department": department().pk,
            "date": "2024-10-22",
            "summary": "市民の皆さんと話し合いました。",
            "body": streamfield([("paragraph", rich_text("<p>ご参加ありがとうございました。</p>"))]),
        }
    )
    # An editor may not publish: the publish action leaves a draft.
    client.post(url, {**data, "action-publish": "action-publish"})
    page = NewsPage.objects.get(title="交通ワークショップを開催しました")
    assert not page.live
    page.delete()
    response = client.post(url, {**data, "action-submit": "action-submit"})
    assert response.status_code == 302
    page = NewsPage.objects.get(title="交通ワークショップを開催しました")
    assert not page.live
    state = page.current_workflow_state
    assert state is not None and state.workflow.name == WORKFLOW_NAME
    client.logout()
    assert "交通ワークショップを開催しました" not in client.get("/").content.decode()
    assert "交通ワークショップを開催しました" not in client.get(news.url + "feed/").content.decode()

    client.force_login(reviewer)
    task_state = state.current_task_state
    approve = reverse("wagtailadmin_pages:workflow_action", args=[page.pk, "approve", task_state.pk])
    response = client.post(approve, {"comment": "確認しました。"})
    assert response.status_code in (200, 302)
    page.refresh_from_db()
    assert page.live
    client.logout()
    assert "交通ワークショップを開催しました" in client.get("/").content.decode()
    assert "交通ワークショップを開催しました" in client.get(news.url + "feed/").content.decode()


def test_accessibility_checker_is_on_for_staff_viewing_a_page(city, client, reviewer):
    page = make_pages()[NewsPage]
    client.force_login(reviewer)
    html = client.get(page.url).content.decode()
    assert "wagtail-userbar-template" in html
    assert 'id="checker-axe-configuration"' in html
    client.logout()
    assert "wagtail-userbar" not in client.get(page.url).content.decode()


def test_home_and_section_pages_have_a_fixed_query_count(city):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from archive.models import Meeting

    news = section("news")

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert Client().get(url).status_code == 200
        return len(ctx.captured_queries)

    count("/"), count(news.url)  # warm Wagtail's cached site root paths
    home_before, news_before = count("/"), count(news.url)
    for i in range(12):
        publish(news, NewsPage(title=f"お知らせ{i}", department=department(), date=dt.date(2030, 1, i + 1)))
        Meeting.objects.create(
            title=f"今後の会議{i}", date=dt.date(2030, 2, i + 1), start_time=dt.time(10), status="planned"
        )
    assert count("/") == home_before
    assert count(news.url) == news_before
    home = Client().get("/").content.decode()
    assert "お知らせ11" in home and "今後の会議0" in home and "2030年2月1日（金）10:00" in home


def test_documents_are_listed_with_type_and_size_in_fixed_queries(city):
    from django.core.files.base import ContentFile
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from wagtail.documents import get_document_model

    from cms.models import PolicyPageDocument

    page = publish(section("vision"), PolicyPage(title="資料の多いビジョン", department=department()))

    def add(n):
        content = b"%PDF-1.4 " * 200
        doc = get_document_model().objects.create(
            title=f"資料{n}", file=ContentFile(content, name=f"v{n}.pdf"), file_size=len(content)
        )
        PolicyPageDocument.objects.create(page=page, document=doc, sort_order=n)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            html = Client().get(page.url).content.decode()
        return len(ctx.captured_queries), html

    add(0)
    count()
    before, html = count()
    assert "資料0" in html and "（PDF・2KB）" in html
    for n in range(1, 6):
        add(n)
    after, html = count()
    assert after == before and "資料5" in html
