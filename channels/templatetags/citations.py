"""{% citing_threads page as threads %} / {% citing_threads meeting as threads %}

The threads that cite an official page or an archive meeting, limited to what
the viewer may see: published threads in channels from
channels.permissions.visible_channels(user). One query (plus the fixed
permission lookups of visible_channels for signed-in users).
"""

from django import template

from ..models import Thread, Visibility
from ..permissions import visible_channels

register = template.Library()
LIMIT = 20


def citing_threads_for(user, target, limit: int = LIMIT) -> list[Thread]:
    if target is None or getattr(target, "pk", None) is None:
        return []
    from wagtail.models import Page

    if isinstance(target, Page):
        cited = {"citations__page_id": target.pk}
    elif getattr(target, "kind", "") == "meeting":
        cited = {"citations__meeting_id": target.pk}
    else:
        return []
    return list(
        Thread.objects.filter(
            **cited,
            visibility=Visibility.PUBLISHED,
            channel_id__in=visible_channels(user).values("pk"),
        )
        .select_related("channel")
        .distinct()
        .order_by("-last_activity_at", "-id")[:limit]
    )


@register.simple_tag(takes_context=True)
def citing_threads(context, target, limit=LIMIT):
    request = context.get("request")
    user = getattr(request, "user", None)
    return citing_threads_for(user, target, limit)
