from django import template

from .. import permissions
from ..models import Membership, Tier

register = template.Library()


@register.simple_tag(takes_context=True)
def member_tools(context, user, channel):
    """{% member_tools user channel as tools %}: what the membership links on a channel page may offer.

    tools.manage (members page), tools.leave, tools.join_rooms (B rooms of an A channel the user
    may ask to join). Anonymous: no queries; signed in: at most three."""
    tools = {"manage": False, "leave": False, "join_rooms": []}
    if not permissions.is_signed_in(user):
        return tools
    if channel.tier_id in (Tier.B, Tier.C):
        tools["manage"] = permissions.can_manage_members(user, channel)
        tools["leave"] = permissions.can_leave_channel(user, channel)
    elif context.get("has_planning_room") and not context.get("visible_rooms"):
        rooms = channel.planning_rooms.select_related("tier").order_by("id")
        tools["join_rooms"] = [r for r in rooms if permissions.can_request_to_join(user, r)]
        requested = (
            set(
                Membership.objects.filter(
                    user=user, channel__in=tools["join_rooms"], state=Membership.State.REQUESTED
                ).values_list("channel_id", flat=True)
            )
            if tools["join_rooms"]
            else set()
        )
        tools["requested"] = requested
    return tools
