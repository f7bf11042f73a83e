"""RSS and Atom for news and the archive: only live, public pages and public, published records,
each marked as the city's official information."""

import datetime as dt
from xml.etree.ElementTree import Element

import pytest
from defusedxml import ElementTree as ET
from wagtail.models import PageViewRestriction

from archive.models import Meeting, Report
from cms.models import NewsPage, PolicyPage, SectionPage
from kumagaya_portal.accounts.models import Department

ATOM = "{http://www.w3.org/2005/Atom}"


def rss_items(client, url) -> tuple[Element, list[dict]]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = ET.fromstring(response.content).find("channel")
    items = [
        {
            "title": i.findtext("title"),
            "link": i.findtext("link"),
            "description": i.findtext("description"),
            "pubDate": i.findtext("pubDate"),
            "categories": [c.text for c in i.findall("category")],
        }
        for i in channel.findall("item")
    ]
    return channel, items


def atom_titles(client, url) -> tuple[Element, list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    feed = ET.fromstring(response.content)
    return feed, [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]


@pytest.fixture
def news(city):
    section = SectionPage.objects.get(section_key="news")
    dept = Department.objects.get(slug="policy-research")

    def add(title, publish=True, **extra):
        page = NewsPage(title=title, department=dept, summary=f"{title}の概要", **extra)
        section.add_child(instance=page)
        if publish:
            page.save_revision().publish()
        else:
            page.live = False
            page.save_revision()
            page.save()
        return page

    published = add("公開したお知らせ")
    draft = add("下書きのお知らせ", publish=False)
    withdrawn = add("取り下げたお知らせ")
    withdrawn.unpublish()
    private = add("限定公開のお知らせ")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.PASSWORD, password="pw")
    return {"section": section, "published": published, "draft": draft, "withdrawn": withdrawn, "private": private}


def test_news_rss_has_only_live_public_pages(news, client):
    channel, items = rss_items(client, news["section"].url + "feed/")
    assert "熊谷市の公式情報" in channel.findtext("title")
    titles = [i["title"] for i in items]
    assert "公開したお知らせ" in titles
    for title in ("下書きのお知らせ", "取り下げたお知らせ", "限定公開のお知らせ"):
        assert title not in titles
    item = items[titles.index("公開したお知らせ")]
    assert "熊谷市の公式情報" in item["categories"]
    assert item["description"].startswith("熊谷市の公式情報")
    assert item["link"].startswith("http://testserver/news/")
    assert item["pubDate"].endswith("+0900")


def test_news_atom_has_only_live_public_pages(news, client):
    feed, titles = atom_titles(client, news["section"].url + "feed/atom/")
    assert "熊谷市の公式情報" in feed.findtext(f"{ATOM}title")
    assert "公開したお知らせ" in titles
    for title in ("下書きのお知らせ", "取り下げたお知らせ", "限定公開のお知らせ"):
        assert title not in titles


def test_a_page_disappears_from_the_feed_when_unpublished(news, client):
    news["published"].unpublish()
    _channel, items = rss_items(client, news["section"].url + "feed/")
    assert "公開したお知らせ" not in [i["title"] for i in items]


def test_section_feed_only_has_its_own_pages(news, client):
    vision = SectionPage.objects.get(section_key="vision")
    policy = PolicyPage(title="ビジョンの改訂", department=Department.objects.get(slug="policy-research"))
    vision.add_child(instance=policy)
    policy.save_revision().publish()
    _channel, items = rss_items(client, news["section"].url + "feed/")
    assert "ビジョンの改訂" not in [i["title"] for i in items]
    _channel, items = rss_items(client, vision.url + "feed/")
    assert [i["title"] for i in items] == ["ビジョンの改訂"]


def test_feeds_are_advertised_on_home_and_section(news, client):
    home = client.get("/").content.decode()
    assert 'type="application/rss+xml"' in home and "/news/feed/" in home
    assert 'type="application/atom+xml"' in client.get("/archive/").content.decode()


@pytest.fixture
def records(city):
    public = Meeting.objects.create(
        title="公開の会議", date=dt.date(2024, 10, 2), start_time=dt.time(0, 30), status="held"
    )
    private = Meeting.objects.create(title="非公開の会議", date=dt.date(2024, 10, 3), is_public=False)
    draft = Meeting.objects.create(title="下書きの会議", date=dt.date(2024, 10, 4))
    draft.live = False
    draft.save()
    Report.objects.create(title="公開の報告書", published_on=dt.date(2024, 10, 5))
    Report.objects.create(title="非公開の報告書", published_on=dt.date(2024, 10, 6), is_public=False)
    return {"public": public, "private": private, "draft": draft}


def test_archive_rss_has_only_public_published_records(records, client):
    channel, items = rss_items(client, "/archive/feed/")
    assert "熊谷市の公式情報" in channel.findtext("title")
    text = " ".join(i["title"] for i in items)
    assert "【会議・イベント】公開の会議（" in text and "【報告書】公開の報告書" in text
    for title in ("非公開の会議", "下書きの会議", "非公開の報告書"):
        assert title not in text
    meeting = next(i for i in items if i["title"].startswith("【会議・イベント】公開の会議"))
    assert "2024年10月2日（水）00:30" in meeting["title"]
    assert meeting["pubDate"] == "Wed, 02 Oct 2024 00:30:00 +0900"
    assert meeting["link"] == f"http://testserver/archive/{records['public'].slug}/"


def test_archive_atom_has_only_public_published_records(records, client):
    _feed, titles = atom_titles(client, "/archive/feed/atom/")
    text = " ".join(titles)
    assert "【会議・イベント】公開の会議（" in text and "【報告書】公開の報告書" in text
    for title in ("非公開の会議", "下書きの会議", "非公開の報告書"):
        assert title not in text


def test_archive_feed_follows_a_record_made_private(records, client):
    records["public"].is_public = False
    records["public"].save()
    _channel, items = rss_items(client, "/archive/feed/")
    assert "【会議・イベント】公開の会議" not in " ".join(i["title"] for i in items)
