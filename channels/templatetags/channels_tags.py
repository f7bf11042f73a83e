from django import template
from django.conf import settings

from ..identity import current_staff_rules as _current_staff_rules
from ..identity import display_author, staff_disclaimer_lines

register = template.Library()


@register.simple_tag
def author_in(user, channel, as_staff=None):
    """{% author_in post.author channel post.author_was_staff as who %}"""
    return display_author(user, channel, as_staff=as_staff)


@register.simple_tag(takes_context=True)
def staff_disclaimer_lines_for(context):
    """{% staff_disclaimer_lines_for as lines %}: the rules in force, read once per request
    (a view may put `staff_rules` in the context; otherwise memoised on the request)."""
    if "staff_rules" in context:
        rules = context["staff_rules"]
    else:
        rules = _current_staff_rules(context.get("request") or context.render_context.setdefault("_sr", _Holder()))
    return staff_disclaimer_lines(rules)


class _Holder:
    """Something to memoise on when a template is rendered without a request (e-mails)."""


@register.simple_tag
def official_site_url():
    return settings.OFFICIAL_SITE_URL


@register.simple_tag
def field_widget(field):
    """The widget with aria-invalid and aria-describedby pointing at its errors and help text."""
    attrs = {}
    described = []
    if field.errors:
        attrs["aria-invalid"] = "true"
        described.append(f"{field.auto_id}-errors")
    if field.help_text:
        described.append(f"{field.auto_id}-help")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)
