from django import template
from django.utils import timezone

from kumagaya_portal.dates import format_date

register = template.Library()


@register.filter
def jday(value) -> str:
    """A date or datetime as its Asia/Tokyo day: 2024年10月1日（火）."""
    if not value:
        return ""
    if hasattr(value, "hour"):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return format_date(value)


@register.filter
def filesize_ja(num) -> str:
    """1.2MB / 340KB for document links."""
    if not num:
        return ""
    if num >= 1024 * 1024:
        return f"{num / (1024 * 1024):.1f}MB"
    return f"{max(1, round(num / 1024))}KB"


@register.filter
def file_ext(document) -> str:
    ext = getattr(document, "file_extension", "") or ""
    return ext.upper()
