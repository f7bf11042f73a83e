"""Reads for account pages: the personal data export."""

from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from .models import User


def _iso(value):
    return value.isoformat() if value else None


def _flags_of(user: User) -> list[dict]:
    """The user's flags, if the moderation app provides them (guarded: built concurrently)."""
    if not apps.is_installed("moderation"):
        return []
    from moderation import models as moderation_models

    flag_model = getattr(moderation_models, "Flag", None)
    if flag_model is None or not hasattr(flag_model, "flagger"):
        return []
    return [
        {
            "post_id": flag.post_id,
            "reason": flag.reason,
            "note": flag.note,
            "official_url": getattr(flag, "official_url", ""),
            "state": flag.state,
            "created_at": _iso(flag.created_at),
        }
        for flag in flag_model.objects.filter(flagger=user).order_by("created_at", "id")
    ]


def _posts_of(user: User) -> list[dict]:
    from channels import permissions
    from channels.models import Post

    posts = (
        Post.objects.filter(author=user)
        .select_related("thread__channel", "thread__channel__tier")
        .prefetch_related("thread__channel__departments")
        .order_by("created_at", "id")
    )
    out = []
    for post in posts:
        thread, channel = post.thread, post.thread.channel
        # The author's own words always; the titles and places only while they may still see them.
        visible = permissions.can_view_channel(user, channel)
        out.append(
            {
                "id": post.pk,
                "created_at": _iso(post.created_at),
                "edited_at": _iso(post.edited_at),
                "state": post.visibility,
                "deleted_by_me": post.is_deleted_by_author,
                "body": post.body,
                "channel": channel.name_ja if visible else None,
                "tier": channel.tier_id,
                "thread_title": thread.title if visible else None,
                "url": reverse("channels:thread", args=[channel.slug, thread.pk]) if visible else None,
            }
        )
    return out


def export_user_data(user: User) -> dict:
    """Everything the portal keeps about `user` that they may take with them (JSON-ready)."""
    from allauth.account.models import EmailAddress

    memberships = []
    if apps.is_installed("channels"):
        from channels.models import Membership

        memberships = [
            {"channel": m.channel.name_ja, "tier": m.channel.tier_id, "state": m.state, "role": m.role}
            for m in Membership.objects.filter(user=user).select_related("channel").order_by("id")
        ]
    return {
        "format": "kumagaya-portal-personal-data/1",
        "exported_at": timezone.now().isoformat(),
        "profile": {
            "email": user.email,
            "email_addresses": [
                {"email": e.email, "verified": e.verified, "primary": e.primary}
                for e in EmailAddress.objects.filter(user=user).order_by("id")
            ],
            "pen_name": user.pen_name,
            "real_name": user.real_name,
            "organisation": user.organisation,
            "real_name_verified": user.real_name_verified,
            "is_city_staff": user.is_city_staff,
            "department": user.department.name_ja if user.department_id else None,
            "guidelines_version": user.guidelines_version,
            "staff_rules_version": user.staff_rules_version,
            "suspended_until": _iso(user.suspended_until),
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
        },
        "memberships": memberships,
        "posts": _posts_of(user) if apps.is_installed("channels") else [],
        "flags": _flags_of(user),
    }


def real_names_to_verify(*, pending_only: bool = True, query: str = ""):
    """People who entered a real name, for city staff to verify (members of B/C channels first)."""
    from django.db.models import Count, Q

    users = User.objects.filter(is_active=True, is_deleted=False).exclude(real_name="")
    if pending_only:
        users = users.filter(real_name_verified=False)
    if query:
        users = users.filter(Q(real_name__icontains=query) | Q(organisation__icontains=query))
    return users.annotate(
        active_memberships=Count("memberships", filter=Q(memberships__state="active"), distinct=True)
    ).order_by("-active_memberships", "real_name", "id")
