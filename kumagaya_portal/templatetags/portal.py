from django import template

from kumagaya_portal.dates import format_date

register = template.Library()


@register.filter
def jdate(value, time=None):
    """{{ dt|jdate }} → 2024年10月1日（火）15:30 (datetimes in Asia/Tokyo)."""
    if not value:
        return ""
    return format_date(value, time or None)
