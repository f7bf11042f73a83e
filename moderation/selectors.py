"""Queries the moderation pages and tasks need, each with its joins (fixed query counts)."""

import datetime as dt
from collections import Counter

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from channels.models import Channel, Post

from . import permissions
from .models import AuditAction, AuditEntry, Escalation, Flag, FlagReason, HoldCode, QueueItem

SORTS = {
    "oldest": ("-priority", "opened_at", "id"),
    "flags": ("-priority", "-flag_count", "opened_at", "id"),
}


def audit_entries_base():
    return AuditEntry.objects.all()


def reason_choices() -> list[tuple[str, str]]:
    return list(FlagReason.choices) + list(HoldCode.choices)


def reason_label(code: str, labels: dict | None = None) -> str:
    labels = dict(reason_choices()) if labels is None else labels
    return labels.get(code, code or "—")


# --------------------------------------------------------------------- queue
# The columns a queue row shows (moderation.views.queue_rows): narrow rows, 50 to a page.
QUEUE_ROW_FIELDS = (
    "state",
    "hold_code",
    "flag_count",
    "priority",
    "opened_at",
    "version",
    "channel_id",
    "post_id",
    "claimed_by_id",
    "post__body",
    "post__visibility",
    "post__author_was_staff",
    "post__author_id",
    "post__thread_id",
    "post__created_at",
    *(
        f"post__author__{f}"
        for f in ("pen_name", "real_name", "organisation", "is_city_staff", "department_id", "is_deleted")
    ),
    "post__author__department__name_ja",
    "post__thread__title",
    "post__thread__channel_id",
    "channel__tier_id",
    "channel__number",
    "channel__name_ja",
    "channel__slug",
    "claimed_by__pen_name",
    "claimed_by__real_name",
)


def queue_items(
    user, *, state: str = "open", tier: str = "", channel_id: int | None = None, reason: str = "", sort: str = "oldest"
):
    qs = QueueItem.objects.select_related("post__author__department", "post__thread", "channel", "claimed_by").only(
        *QUEUE_ROW_FIELDS
    )
    ids = permissions.moderated_channel_ids(user)
    if ids is not None:
        qs = qs.filter(channel_id__in=ids)
    if state in QueueItem.State.values:
        qs = qs.filter(state=state)
    if tier:
        qs = qs.filter(channel__tier_id=tier)
    if channel_id:
        qs = qs.filter(channel_id=channel_id)
    if reason:
        open_flag = Flag.objects.filter(post_id=OuterRef("post_id"), state=Flag.State.OPEN, reason=reason)
        qs = qs.filter(Q(hold_code=reason) | Q(Exists(open_flag)))
    qs = qs.prefetch_related(
        Prefetch(
            "post__flags",
            queryset=Flag.objects.filter(state=Flag.State.OPEN).only("id", "post_id", "reason"),
            to_attr="open_flags",
        )
    )
    return qs.order_by(*SORTS.get(sort, SORTS["oldest"]))


def reason_tally(item: QueueItem, labels: dict | None = None) -> list[tuple[str, int]]:
    labels = dict(reason_choices()) if labels is None else labels
    counts = Counter(f.reason for f in getattr(item.post, "open_flags", []))
    return [(reason_label(r, labels), n) for r, n in counts.most_common()]


def channels_for_filter(user):
    ids = permissions.moderated_channel_ids(user)
    qs = Channel.objects.select_related("tier").order_by("tier_id", "number", "id")
    return qs if ids is None else qs.filter(pk__in=ids)


def post_for_moderation(post_id: int) -> Post | None:
    return (
        Post.objects.select_related("thread__channel__tier", "author__department", "quoted__author")
        .filter(pk=post_id)
        .first()
    )


def item_for_post(post: Post) -> QueueItem | None:
    return QueueItem.objects.select_related("claimed_by", "decided_by").filter(post=post).first()


def post_context(post: Post, around: int = 2) -> list[Post]:
    """The post in its thread: the first post, a few before and after (2 queries)."""
    base = Post.objects.filter(thread_id=post.thread_id).select_related("author__department")
    before = list(
        base.filter(Q(created_at__lt=post.created_at) | Q(created_at=post.created_at, id__lt=post.pk)).order_by(
            "-created_at", "-id"
        )[:around]
    )
    after = list(
        base.filter(Q(created_at__gt=post.created_at) | Q(created_at=post.created_at, id__gt=post.pk)).order_by(
            "created_at", "id"
        )[:around]
    )
    return list(reversed(before)) + [post] + after


def post_flags(post: Post) -> list[Flag]:
    """Flags without their flaggers (moderators see reasons, notes and times only)."""
    return list(
        Flag.objects.filter(post=post)
        .defer("flagger")
        .order_by("state", "created_at", "id")
        .only("id", "reason", "note", "official_url", "state", "created_at", "on_unpublished_post")
    )


def author_history(author, user, limit: int = 20) -> list[AuditEntry]:
    """What moderation did about this author, within the channels `user` moderates."""
    qs = (
        AuditEntry.objects.filter(subject_user=author)
        .exclude(action__in=[AuditAction.VIEW_IDENTITY, AuditAction.ESCALATION_ANSWERED])
        .select_related("channel__tier", "thread")
        .order_by("-created_at", "-id")
    )
    ids = permissions.moderated_channel_ids(user)
    if ids is not None:
        qs = qs.filter(channel_id__in=ids)
    return list(qs[:limit])


def move_targets(user, thread) -> list[Channel]:
    ids = permissions.moderated_channel_ids(user)
    qs = Channel.objects.filter(tier_id=thread.channel.tier_id).exclude(pk=thread.channel_id).order_by("number", "id")
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return list(qs)


def item_escalations(item: QueueItem | None) -> list[Escalation]:
    if item is None:
        return []
    return list(item.escalations.select_related("department", "answered_by").order_by("created_at"))


# ----------------------------------------------------------------- audit log
def audit_log(
    user,
    *,
    action: str = "",
    channel_id: int | None = None,
    month: dt.date | None = None,
    automatic: str = "",
    post_id: int | None = None,
):
    qs = AuditEntry.objects.select_related("actor", "channel__tier", "subject_user", "thread", "post")
    ids = permissions.moderated_channel_ids(user)
    if ids is not None:
        qs = qs.filter(channel_id__in=ids)
    if action in AuditAction.values:
        qs = qs.filter(action=action)
    if channel_id:
        qs = qs.filter(channel_id=channel_id)
    if month:
        start, end = month_bounds(month)
        qs = qs.filter(created_at__gte=start, created_at__lt=end)
    if automatic == "auto":
        qs = qs.filter(actor__isnull=True)
    elif automatic == "manual":
        qs = qs.filter(actor__isnull=False)
    if post_id:
        qs = qs.filter(post_id=post_id)
    return qs.order_by("-created_at", "-id")


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime(month.year, month.month, 1, tzinfo=tz)
    end = dt.datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=tz)
    return start, end


# -------------------------------------------------------------- transparency
def transparency(month: dt.date) -> dict:
    """Counts only: actions, their reason categories, flags by reason. No people, no text."""
    start, end = month_bounds(month)
    entries = AuditEntry.objects.filter(created_at__gte=start, created_at__lt=end)
    by_action = {row["action"]: row["n"] for row in entries.values("action").annotate(n=Count("id")).order_by()}
    by_category = (
        entries.exclude(category="")
        .exclude(action__in=[AuditAction.VIEW_IDENTITY, AuditAction.NG_WORD_ADD, AuditAction.NG_WORD_REMOVE])
        .values("action", "category")
        .annotate(n=Count("id"))
        .order_by()
    )
    flags = {
        row["reason"]: row["n"]
        for row in Flag.objects.filter(created_at__gte=start, created_at__lt=end)
        .values("reason")
        .annotate(n=Count("id"))
        .order_by()
    }
    categories = [code for code, _label in reason_choices()]
    matrix = {}
    for row in by_category:
        matrix.setdefault(row["category"], {})[row["action"]] = row["n"]
    decision_actions = [
        AuditAction.AUTO_HOLD,
        AuditAction.AUTO_HIDE,
        AuditAction.DISMISS,
        AuditAction.HIDE,
        AuditAction.REMOVE,
        AuditAction.RESTORE,
        AuditAction.REDACT,
    ]
    return {
        "actions": [(AuditAction(a).label, by_action.get(a, 0)) for a in AuditAction.values],
        "total_actions": sum(by_action.values()),
        "flags": [(label, flags.get(code, 0)) for code, label in FlagReason.choices],
        "total_flags": sum(flags.values()),
        "decision_actions": [AuditAction(a).label for a in decision_actions],
        "by_reason": [
            (reason_label(code), [matrix.get(code, {}).get(a, 0) for a in decision_actions])
            for code in categories
            if code in matrix
        ],
    }


def transparency_months() -> list[dt.date]:
    tz = timezone.get_current_timezone()
    months = {d.date().replace(day=1) for d in AuditEntry.objects.datetimes("created_at", "month", tzinfo=tz)}
    months |= {d.date().replace(day=1) for d in Flag.objects.datetimes("created_at", "month", tzinfo=tz)}
    months.add(timezone.localdate().replace(day=1))
    return sorted(months, reverse=True)


# --------------------------------------------------------------- escalations
def escalations_for(user, state: str = "open"):
    qs = Escalation.objects.select_related(
        "department", "created_by", "answered_by", "item__post__author", "item__post__thread__channel__tier"
    )
    if not permissions.is_global_moderator(user):
        qs = qs.filter(department_id=user.department_id)
    if state in Escalation.State.values:
        qs = qs.filter(state=state)
    return qs.order_by("-created_at", "-id")


# -------------------------------------------------------------- recipients
def _moderate_permission() -> Permission:
    return Permission.objects.get(codename="moderate_channel", content_type__app_label="channels")


def global_moderators():
    perm = _moderate_permission()
    return (
        get_user_model()
        .objects.filter(is_active=True, is_deleted=False)
        .filter(Q(is_superuser=True) | Q(user_permissions=perm) | Q(groups__permissions=perm))
        .distinct()
        .order_by("id")
    )


def moderator_scopes(channel_ids) -> list[tuple[object, set[int] | None]]:
    """(user, channels they moderate among `channel_ids`, or None for all) for every moderator concerned."""
    from guardian.models import GroupObjectPermission, UserObjectPermission

    perm = _moderate_permission()
    ct = ContentType.objects.get_for_model(Channel)
    keys = [str(c) for c in channel_ids]
    users = {u.pk: u for u in global_moderators()}
    scopes: dict[int, set[int] | None] = dict.fromkeys(users)
    rows = list(
        UserObjectPermission.objects.filter(permission=perm, content_type=ct, object_pk__in=keys).values_list(
            "user_id", "object_pk"
        )
    )
    rows += list(
        GroupObjectPermission.objects.filter(permission=perm, content_type=ct, object_pk__in=keys).values_list(
            "group__user", "object_pk"
        )
    )
    extra = {uid for uid, _pk in rows if uid is not None and uid not in scopes}
    if extra:
        users.update({u.pk: u for u in get_user_model().objects.filter(pk__in=extra, is_active=True, is_deleted=False)})
    for uid, object_pk in rows:
        if uid in users and scopes.get(uid, set()) is not None:
            scopes.setdefault(uid, set()).add(int(object_pk))
    return [(users[uid], scope) for uid, scope in scopes.items() if uid in users]


def moderators_for_channels(channel_ids) -> list:
    return [user for user, _scope in moderator_scopes(channel_ids)]


def department_staff(department_id: int):
    return list(
        get_user_model()
        .objects.filter(is_city_staff=True, department_id=department_id, is_active=True, is_deleted=False)
        .order_by("id")
    )
