"""The one policy module: every view, template tag and task asks here.

Small named predicates, combined into one rule per action (adhocracy4 style).
"Missing" and "not allowed to know it exists" get the same answer: `None` from
the `*_or_none` helpers, which views turn into 404.
"""

from django.db.models import QuerySet
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

from .models import Channel, PostingPolicy, Tier

VIEW_PRIVATE = "channels.view_private_channel"
POST_IN = "channels.post_in_channel"
MODERATE = "channels.moderate_channel"


# --------------------------------------------------------------- predicates
def is_signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and not getattr(user, "is_deleted", False))


def is_global_moderator(user) -> bool:
    return is_signed_in(user) and (user.is_superuser or user.has_perm(MODERATE))


def is_channel_moderator(user, channel: Channel) -> bool:
    return is_global_moderator(user) or (is_signed_in(user) and user.has_perm(MODERATE, channel))


def is_city_staff(user) -> bool:
    return is_signed_in(user) and user.is_city_staff


def is_member(user, channel: Channel) -> bool:
    return is_signed_in(user) and user.has_perm(VIEW_PRIVATE, channel)


def is_suspended(user) -> bool:
    until = getattr(user, "suspended_until", None)
    return is_signed_in(user) and until is not None and until > timezone.now()


def has_accepted_guidelines(user) -> bool:
    return is_signed_in(user) and bool(user.guidelines_version)


# -------------------------------------------------------------------- rules
def can_view_channel(user, channel: Channel) -> bool:
    if channel.tier_id == Tier.A and not channel.members_only:
        return True
    if is_channel_moderator(user, channel):
        return True
    if channel.tier_id in (Tier.A, Tier.B) and is_city_staff(user):
        return True
    return is_member(user, channel)


def can_post_in_channel(user, channel: Channel) -> bool:
    if not is_signed_in(user) or not can_view_channel(user, channel) or is_suspended(user):
        return False
    if channel.posting_policy == PostingPolicy.CLOSED:
        return False
    if channel.posting_policy == PostingPolicy.STAFF_ONLY and not is_city_staff(user):
        return False
    if channel.tier_id == Tier.A:
        return True
    # B and C: members with a real name verified by staff (staff post in any B channel).
    return (is_member(user, channel) or (channel.tier_id == Tier.B and is_city_staff(user))) and (
        user.real_name_verified or user.is_city_staff
    )


def visible_channels(user) -> QuerySet[Channel]:
    """Channels the user may see, in one query (the /lab/ list)."""
    qs = Channel.objects.all()
    if is_global_moderator(user):
        return qs
    public = qs.filter(tier_id=Tier.A, members_only=False)
    if not is_signed_in(user):
        return public
    allowed = get_objects_for_user(
        user, [VIEW_PRIVATE], klass=Channel, any_perm=True, with_superuser=True, accept_global_perms=False
    ).values("pk")
    moderated = get_objects_for_user(user, [MODERATE], klass=Channel, accept_global_perms=False).values("pk")
    staff_q = qs.filter(tier_id__in=[Tier.A, Tier.B]) if user.is_city_staff else qs.none()
    return qs.filter(pk__in=public.values("pk").union(allowed, moderated, staff_q.values("pk")))


def channel_or_none(user, slug: str) -> Channel | None:
    channel = Channel.objects.select_related("tier", "linked_channel", "workspace").filter(slug=slug).first()
    if channel is None or not can_view_channel(user, channel):
        return None
    return channel
