"""Japanese date display: 2024年10月1日（火）15:30, 日程未定."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

WEEKDAYS_JA = "月火水木金土日"
WEEKDAYS_EN = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def format_date(day: dt.date, time: dt.time | None = None) -> str:
    if isinstance(day, dt.datetime):
        local = timezone.localtime(day) if timezone.is_aware(day) else day
        day, time = local.date(), local.time()
    if (get_language() or "ja").startswith("en"):
        out = f"{WEEKDAYS_EN[day.weekday()]} {day.day} {day:%B} {day.year}"
        return f"{out} {time:%H:%M}" if time else out
    out = f"{day.year}年{day.month}月{day.day}日（{WEEKDAYS_JA[day.weekday()]}）"
    return f"{out}{time:%H:%M}" if time else out


def format_undecided(month: dt.date | None) -> str:
    if month is None:
        return _("日程未定")
    if (get_language() or "ja").startswith("en"):
        return f"{month:%B} {month.year} ({_('日程未定')})"
    return f"{month.year}年{month.month}月（{_('日程未定')}）"


def fiscal_year_label(year: int) -> str:
    """令和6年度 = April 2024 – March 2025."""
    if (get_language() or "ja").startswith("en"):
        return f"FY{year}"
    reiwa = year - 2018
    return f"令和{'元' if reiwa == 1 else reiwa}年度"
