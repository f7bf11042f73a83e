from django import template
from django.utils.translation import gettext as _

from channels.identity import display_author

from .. import permissions
from ..models import AuditAction, HoldCode
from ..selectors import reason_label

register = template.Library()


@register.filter
def actor_label(user) -> str:
    """Who acted, as moderators see each other: the pen name, else the real name, else an id."""
    if user is None:
        return _("自動")
    return user.pen_name or user.real_name or _("モデレーター %(id)s") % {"id": user.pk}


@register.filter
def subject_label(entry) -> str:
    """The account an entry concerns, as it appears in that channel (pen name only in tier A)."""
    user = entry.subject_user
    if user is None:
        return ""
    if entry.channel is not None:
        return str(display_author(user, entry.channel))
    return user.pen_name or _("利用者 %(id)s") % {"id": user.pk}


@register.filter
def action_label(code: str) -> str:
    try:
        return AuditAction(code).label
    except ValueError:
        return code


@register.filter
def category_label(code: str) -> str:
    return reason_label(code) if code else ""


@register.filter
def hold_label(code: str) -> str:
    try:
        return HoldCode(code).label
    except ValueError:
        return ""


@register.simple_tag(takes_context=True)
def moderation_menu(context) -> dict:
    user = context.get("user")
    return {
        "queue": permissions.can_use_queue(user),
        "ng_words": permissions.can_manage_ng_words(user),
        "escalations": permissions.can_view_escalations(user),
    }


@register.filter
def pretty_json(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)
