"""The archive: fiscal years, the 00:30 JST meeting, undecided dates, private and draft records,
filters with a fixed query count, record pages, iCalendar parsed back, snippets in the admin."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar
from wagtail.documents import get_document_model

from archive.models import Meeting, MeetingDocument, MeetingType, Report, Workshop
from archive.selectors import ArchiveFilters, archive_rows, hydrate
from channels.services import do_create_thread
from cms.setup import REVIEWERS_GROUP
from kumagaya_portal.accounts.models import Department
from kumagaya_portal.loader import load_city

from .conftest import make_user

TOKYO = ZoneInfo("Asia/Tokyo")


def meeting(title, day=None, start=None, **extra) -> Meeting:
    return Meeting.objects.create(
        title=title,
        date=day,
        start_time=start,
        status=extra.pop("status", "held"),
        meeting_type=extra.pop("meeting_type", MeetingType.objects.get(code=3)),
        **extra,
    )


def ics_events(content: bytes):
    cal = Calendar.from_ical(content)
    return {str(e.get("summary")): e for e in cal.walk("VEVENT")}, cal


@pytest.fixture
def boundary(city):
    return {
        "march": meeting("年度末の意見交換", dt.date(2025, 3, 31), dt.time(23, 30)),
        "april": meeting("新年度の深夜会議", dt.date(2025, 4, 1), dt.time(0, 30)),
    }


# ---------------------------------------------------------------------- fiscal years
def test_fiscal_year_boundaries(boundary, client):
    assert boundary["march"].fiscal_year == 2024
    assert boundary["april"].fiscal_year == 2025
    fy2024 = client.get("/archive/?fy=2024").content.decode()
    fy2025 = client.get("/archive/?fy=2025").content.decode()
    assert "年度末の意見交換" in fy2024 and "新年度の深夜会議" not in fy2024
    assert "新年度の深夜会議" in fy2025 and "年度末の意見交換" not in fy2025
    assert "令和6年度" in fy2024 and "令和7年度" in fy2025


def test_meeting_at_0030_jst_belongs_to_its_own_day(boundary, client):
    april = boundary["april"]
    text = "2025年4月1日（火）00:30"
    assert text in client.get("/archive/").content.decode()
    assert text in client.get("/archive/?fy=2025&status=held").content.decode()
    assert text in client.get(april.get_absolute_url()).content.decode()
    rss = client.get("/archive/feed/").content.decode()
    assert "Tue, 01 Apr 2025 00:30:00 +0900" in rss
    assert f"新年度の深夜会議（{text}）" in rss
    assert "2025-04-01T00:30:00+09:00" in client.get("/archive/feed/atom/").content.decode()
    events, _cal = ics_events(client.get("/archive/meetings.ics").content)
    start = events["新年度の深夜会議"].decoded("dtstart")
    assert start == dt.datetime(2025, 4, 1, 0, 30, tzinfo=TOKYO)
    assert start.astimezone(dt.UTC) == dt.datetime(2025, 3, 31, 15, 30, tzinfo=dt.UTC)


# -------------------------------------------------------------------- undecided dates
def test_undecided_dates_read_as_undecided_and_stay_out_of_calendars(city, client):
    html = client.get("/archive/").content.decode()
    assert "2024年11月（日程未定）" in html  # グリーンスローモビリティ勉強会②
    assert "日程未定" in html  # タブローカフェ・公開版
    events, _cal = ics_events(client.get("/archive/meetings.ics").content)
    assert "グリーンスローモビリティ勉強会②" not in events and "タブローカフェ・公開版" not in events
    assert len(events) == Meeting.objects.public().exclude(date=None).count() == 10
    tablo = Meeting.objects.get(title="タブローカフェ・公開版")
    assert client.get(tablo.get_absolute_url()).status_code == 200
    assert client.get(reverse("archive:record_ics", args=[tablo.slug])).status_code == 404


# --------------------------------------------------------------------------- iCalendar
def test_icalendar_parsed_back_with_tokyo_times(city, client):
    response = client.get("/archive/meetings.ics")
    assert response["Content-Type"].startswith("text/calendar")
    events, cal = ics_events(response.content)
    assert [tz.tz_name for tz in cal.timezones] == ["Asia/Tokyo"]
    nexus = events["デジくまネクサス（第三回：クマぶら）"]
    assert nexus.decoded("dtstart") == dt.datetime(2024, 10, 1, 15, 30, tzinfo=TOKYO)
    assert "dtend" not in nexus  # no end time in the data file: none invented
    assert str(nexus.get("location")) == "KUMAGAYA PLACE"
    assert "熊谷市の公式情報" in str(nexus.get("description"))
    lounge = events["市役所内オープンラウンジ実験（1日目）"]
    assert lounge.decoded("dtstart") == dt.datetime(2022, 12, 5, 13, 0, tzinfo=TOKYO)
    assert lounge.decoded("dtend") == dt.datetime(2022, 12, 5, 17, 0, tzinfo=TOKYO)
    assert b"DTSTART;TZID=Asia/Tokyo:20221205T130000" in response.content

    one = Meeting.objects.get(title="デジくまネクサス（第三回：クマぶら）")
    for url in (f"/archive/{one.slug}.ics", f"/archive/{one.slug}/ics"):
        single, _cal = ics_events(client.get(url).content)
        assert list(single) == ["デジくまネクサス（第三回：クマぶら）"]
        assert single["デジくまネクサス（第三回：クマぶら）"].decoded("dtstart").hour == 15


def test_all_day_record_without_a_start_time(city, client):
    meeting("終日の展示", dt.date(2024, 12, 10))
    events, _cal = ics_events(client.get("/archive/meetings.ics").content)
    assert events["終日の展示"].decoded("dtstart") == dt.date(2024, 12, 10)


# --------------------------------------------------------------- private and drafts
def test_private_and_unpublished_records_never_leave(city, client):
    secret = meeting("非公開の打合せ", dt.date(2024, 12, 1), dt.time(10), is_public=False)
    draft = meeting("下書きの会議", dt.date(2024, 12, 2), dt.time(10))
    draft.live = False
    draft.save()
    report = Report.objects.create(title="非公開の報告書", published_on=dt.date(2024, 12, 3), is_public=False)
    for url in ("/archive/", "/archive/?fy=2024", "/archive/feed/", "/archive/feed/atom/", "/archive/meetings.ics"):
        body = client.get(url).content.decode()
        for title in ("非公開の打合せ", "下書きの会議", "非公開の報告書"):
            assert title not in body, (url, title)
    for record in (secret, draft, report):
        assert client.get(record.get_absolute_url()).status_code == 404
    assert client.get(f"/archive/{secret.slug}.ics").status_code == 404
    assert "非公開の打合せ" not in client.get("/search/?q=打合せ").content.decode()


# ------------------------------------------------------------------------- filters
def test_filters_by_type_status_department_channel_and_kind(city, client, channel_a):
    dept = Department.objects.get(slug="commerce-tourism")
    meeting("まちなか意見交換", dt.date(2024, 9, 1), dt.time(14), department=dept, channel=channel_a, status="planned")
    Workshop.objects.create(
        title="未来スケッチワークショップ", date=dt.date(2024, 9, 2), status="held", department=dept
    )
    Report.objects.create(title="まちなか報告書", published_on=dt.date(2024, 9, 30), department=dept, channel=channel_a)

    def titles(query):
        rows = archive_rows(ArchiveFilters.from_query(query))
        return {r.title for r in hydrate(list(rows))}

    assert titles({"department": "commerce-tourism"}) == {
        "まちなか意見交換",
        "未来スケッチワークショップ",
        "まちなか報告書",
    }
    assert titles({"channel": channel_a.slug}) == {"まちなか意見交換", "まちなか報告書"}
    assert titles({"kind": "workshop"}) == {"未来スケッチワークショップ"}
    assert titles({"kind": "report"}) == {"まちなか報告書"}
    assert titles({"status": "planned", "department": "commerce-tourism"}) == {"まちなか意見交換"}
    assert "データ活用部会（スマートシティ推進協議会）" in titles({"type": "4"})
    assert titles({"type": "4", "kind": "workshop"}) == set()
    html = client.get(f"/archive/?channel={channel_a.slug}").content.decode()
    assert "まちなか報告書" in html and "デジくまネクサス" not in html
    # Nonsense in the query string is ignored, never an error.
    assert client.get("/archive/?fy=zzz&type=-1&status=<script>&department=%00&page=999").status_code == 200


def test_archive_list_has_a_fixed_query_count(city, client):
    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/archive/").status_code == 200
        return len(ctx.captured_queries)

    # One record of each kind on the first page, so each measurement loads all three kinds.
    Workshop.objects.create(title="先頭のワークショップ", date=dt.date(2030, 6, 1))
    Report.objects.create(title="先頭の報告書", published_on=dt.date(2030, 7, 1))
    few = count_queries()
    dept = Department.objects.get(slug="city-planning")
    for i in range(40):
        meeting(f"追加の会議{i}", dt.date(2024, 5, 1) + dt.timedelta(days=i), dt.time(10), department=dept)
    Workshop.objects.create(title="追加のワークショップ", date=dt.date(2024, 6, 1), department=dept)
    Report.objects.create(title="追加の報告書", published_on=dt.date(2024, 7, 1), department=dept)
    assert count_queries() == few
    assert few <= 12


# ----------------------------------------------------------------------- record page
def test_record_page_lists_documents_channel_and_citing_threads(
    city, client, settings, citizen, stakeholder, channel_a, channel_b
):
    settings.MODERATION_NEW_ACCOUNT_POSTS = 0  # no pre-moderation hold for this citizen's first posts
    doc = get_document_model().objects.create(
        title="第3回議事録", file=ContentFile(b"%PDF-1.4 minutes", name="minutes.pdf")
    )
    m = meeting("まちなかビジョン会議", dt.date(2024, 10, 1), dt.time(15, 30), channel=channel_a)
    MeetingDocument.objects.create(meeting=m, kind="minutes", document=doc)
    MeetingDocument.objects.create(meeting=m, kind="recording", url="https://video.example.jp/v/1", title="録画")
    do_create_thread(
        actor=citizen,
        channel=channel_a,
        title="会議の続きを話しましょう",
        body="続きです。",
        kind="public-private",
        citation=m,
    )
    do_create_thread(
        actor=stakeholder,
        channel=channel_b,
        title="運営側の打合せ",
        body="B の話です。",
        kind="public-private",
        citation=m,
    )
    html = client.get(m.get_absolute_url()).content.decode()
    assert "第3回議事録" in html and "議事録" in html and "（PDF" in html
    assert "https://video.example.jp/v/1" in html
    assert reverse("channels:channel", args=[channel_a.slug]) in html
    assert "会議の続きを話しましょう" in html
    assert "運営側の打合せ" not in html  # a B channel: not for the anonymous reader
    client.force_login(stakeholder)
    assert "運営側の打合せ" in client.get(m.get_absolute_url()).content.decode()
    # A thread moderators hid disappears from the page.
    from channels.models import Thread

    Thread.objects.filter(title="会議の続きを話しましょう").update(visibility="hidden")
    client.logout()
    assert "会議の続きを話しましょう" not in client.get(m.get_absolute_url()).content.decode()


def test_record_page_hides_a_private_channel_link(city, client, channel_b):
    m = meeting("企画会議", dt.date(2024, 10, 2), dt.time(10), channel=channel_b)
    html = client.get(m.get_absolute_url()).content.decode()
    assert reverse("channels:channel", args=[channel_b.slug]) not in html


def test_record_page_query_count_does_not_grow_with_documents_or_threads(city, client, settings, citizen, channel_a):
    settings.MODERATION_NEW_ACCOUNT_POSTS = 0
    m = meeting("資料の多い会議", dt.date(2024, 10, 3), dt.time(10), channel=channel_a)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(m.get_absolute_url()).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i in range(5):
        doc = get_document_model().objects.create(title=f"資料{i}", file=ContentFile(b"x", name=f"m{i}.pdf"))
        MeetingDocument.objects.create(meeting=m, document=doc)
        do_create_thread(
            actor=citizen, channel=channel_a, title=f"議論{i}", body="本文", kind="public-private", citation=m
        )
    assert count() == before


# -------------------------------------------------------------------------- snippets
def test_staff_edit_meetings_as_snippets_with_revisions(city, client):
    reviewer = make_user("archive.reviewer@example.jp", real_name="記録 係", staff=True, is_staff=True)
    reviewer.groups.add(Group.objects.get(name=REVIEWERS_GROUP))
    client.force_login(reviewer)
    m = Meeting.objects.get(title="デジくまネクサス（第三回：クマぶら）")
    edit = reverse("wagtailsnippets_archive_meeting:edit", args=[m.pk])
    assert client.get(edit).status_code == 200
    assert client.get(reverse("wagtailsnippets_archive_meeting:list")).status_code == 200
    data = {
        "title": "デジくまネクサス（第三回：クマぶら）【修正】",
        "meeting_type": m.meeting_type_id,
        "status": "held",
        "format": "hybrid",
        "date": "2024-10-01",
        "start_time": "15:30",
        "end_time": "17:00",
        "month": "",
        "venue": "KUMAGAYA PLACE",
        "online_url": "https://zoom.example.jp/j/1",
        "department": "",
        "channel": "",
        "note": "",
        "report": "",
        "slug": m.slug,
        "is_public": "on",
        "documents-TOTAL_FORMS": "0",
        "documents-INITIAL_FORMS": "0",
        "documents-MIN_NUM_FORMS": "0",
        "documents-MAX_NUM_FORMS": "1000",
    }
    response = client.post(edit, data)  # save draft
    assert response.status_code == 302, response.content.decode()[:3000]
    m.refresh_from_db()
    assert m.title == "デジくまネクサス（第三回：クマぶら）" and m.has_unpublished_changes
    assert "【修正】" not in Client().get(m.get_absolute_url()).content.decode()
    response = client.post(edit, {**data, "action-publish": "action-publish"})
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.title.endswith("【修正】") and m.end_time == dt.time(17, 0)
    assert m.revisions.count() == 2
    client.logout()
    assert "【修正】" in client.get(m.get_absolute_url()).content.decode()
    # The data file does not undo the edit on the next load.
    load_city()
    m.refresh_from_db()
    assert m.title.endswith("【修正】")


def test_workshops_and_reports_have_pages_and_admin(city, client):
    report = Report.objects.create(
        title="令和6年度オープンラウンジ報告書", published_on=dt.date(2025, 3, 31), summary="結果の概要です。"
    )
    ws = Workshop.objects.create(
        title="まちなかワークショップ",
        date=dt.date(2025, 1, 20),
        start_time=dt.time(13),
        capacity=30,
        participants=24,
        report=report,
    )
    assert ws.slug.startswith("ws-20250120-") and report.slug.startswith("report-20250331-")
    html = client.get(ws.get_absolute_url()).content.decode()
    assert "2025年1月20日（月）13:00" in html and "24人" in html and "令和6年度オープンラウンジ報告書" in html
    assert "結果の概要です。" in client.get(report.get_absolute_url()).content.decode()
    assert report.fiscal_year == 2024
    admin = make_user("archive.admin@example.jp", is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get(reverse("wagtailsnippets_archive_workshop:edit", args=[ws.pk])).status_code == 200
    assert client.get(reverse("wagtailsnippets_archive_report:add")).status_code == 200
