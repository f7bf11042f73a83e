from django import template

from kumagaya_portal.dates import format_date, format_undecided

register = template.Library()


@register.filter
def meeting_when(meeting) -> str:
    """2024年10月1日（火）15:30, or 日程未定 / 2024年11月（日程未定）."""
    if meeting.date is None:
        return format_undecided(meeting.month)
    out = format_date(meeting.date, meeting.start_time)
    if meeting.start_time and meeting.end_time:
        out += f"〜{meeting.end_time:%H:%M}"
    return out


@register.filter
def fiscal_year(year) -> str:
    """2024 → 令和6年度."""
    from kumagaya_portal.dates import fiscal_year_label

    return fiscal_year_label(int(year)) if year else ""
