"""iCalendar (RFC 5545) for dated public records: times in TZID=Asia/Tokyo with a VTIMEZONE.

Undecided dates are left out; a record without a start time is an all-day event.
"""

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from kumagaya_portal.dates import format_date

from .models import TOKYO

PRODID = "-//Kumagaya City//Web Common Space archive//JA"
OFFICIAL_MARK = "熊谷市の公式情報"


def _uid(record) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"{record.kind}-{record.pk}@{host}"


def record_event(record, base_url: str) -> Event | None:
    if record.date is None:
        return None
    event = Event()
    event.add("uid", _uid(record))
    event.add("summary", record.title)
    event.add("dtstamp", (record.last_published_at or record.updated_at or timezone.now()).astimezone(dt.UTC))
    if record.start_time:
        event.add("dtstart", dt.datetime.combine(record.date, record.start_time, tzinfo=TOKYO))
        if record.end_time:  # an unknown end is left out, never invented
            event.add("dtend", dt.datetime.combine(record.date, record.end_time, tzinfo=TOKYO))
    else:
        event.add("dtstart", record.date)
        event.add("dtend", record.date + dt.timedelta(days=1))
    if record.venue:
        event.add("location", record.venue)
    url = base_url.rstrip("/") + record.get_absolute_url()
    event.add("url", url)
    lines = [OFFICIAL_MARK, format_date(record.date, record.start_time)]
    if record.department_id:
        lines.append(f"担当課: {record.department.name_ja}")
    if record.online_url:
        lines.append(f"オンライン参加: {record.online_url}")
    lines.append(url)
    event.add("description", "\n".join(lines))
    event.add("status", "CONFIRMED" if record.status != "considering" else "TENTATIVE")
    event.add("categories", [OFFICIAL_MARK])
    return event


def calendar_for(records, base_url: str, name: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Tokyo")
    for record in records:
        event = record_event(record, base_url)
        if event is not None:
            cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
