"""The one policy module: every view, template tag and task asks here.

Small named predicates, combined into one rule per action (adhocracy4 style).
"Missing" and "not allowed to know it exists" get the same answer: `None` from
the `*_or_none` helpers, which views turn into 404.

Rules per action (C1):

    view channel      can_view_channel          view thread   can_view_thread
    view post         can_view_post             start thread  can_start_thread
    reply             can_reply                 quote         can_quote
    edit post         can_edit_post             delete post   can_delete_post
    change phase      can_change_phase          settings      can_change_settings
    view revisions    can_view_revisions

Posting has two kinds of obstacles: `post_denial` (a hard "no": suspended,
closed, not a member, real name not verified) and `missing_step` (something
the user can do now: accept the guidelines, choose a pen name, confirm the
staff rules). `can_post_in_channel` is true when there is neither.

Object permissions are read once per user object and channel (memoised on the
user, so a request asks guardian at most once per channel); `forget(user)`
drops the memo after a membership change.
"""

from django.db.models import Q, QuerySet
from django.utils import timezone
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import get_objects_for_user

from .models import Channel, Phase, PostingPolicy, Tier, Visibility

VIEW_PRIVATE = "channels.view_private_channel"
POST_IN = "channels.post_in_channel"
MODERATE = "channels.moderate_channel"

_MEMO = "_channels_permission_memo"


def _memo(user) -> dict:
    memo = getattr(user, _MEMO, None)
    if memo is None:
        memo = {}
        setattr(user, _MEMO, memo)
    return memo


def forget(user) -> None:
    """Drop memoised permissions of this user object (after a grant or removal)."""
    if user is not None:
        for attr in (_MEMO, "_perm_cache", "_user_perm_cache", "_group_perm_cache"):
            try:
                delattr(user, attr)
            except AttributeError:
                pass


def _read_permissions(user) -> dict:
    """Every permission row that decides what `user` may do, in one query: global permissions
    ("app_label.codename", held directly or through a group) and channel permissions
    (guardian, held directly or through a group) by channel id."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import CharField, F, Value
    from guardian.models import GroupObjectPermission, UserObjectPermission

    def tag(value):
        return Value(value, output_field=CharField())

    channel_type = ContentType.objects.get_for_model(Channel)
    held_globally = {"held_on": tag("global"), "app": F("content_type__app_label"), "code": F("codename")}
    held_on_channels = {"held_on": F("object_pk"), "app": tag(""), "code": F("permission__codename")}
    columns = ("held_on", "app", "code")
    parts = [
        Permission.objects.filter(user=user).annotate(**held_globally),
        Permission.objects.filter(group__user=user).annotate(**held_globally),
        UserObjectPermission.objects.filter(user=user, content_type=channel_type).annotate(**held_on_channels),
        GroupObjectPermission.objects.filter(group__user=user, content_type=channel_type).annotate(**held_on_channels),
    ]
    first, *rest = (qs.order_by().values_list(*columns) for qs in parts)
    rows = first.union(*rest, all=True).order_by()
    held: dict = {"global": set(), "channels": {}}
    for where, app_label, codename in rows:
        if where == "global":
            held["global"].add(f"{app_label}.{codename}")
        elif str(where).isdigit():
            held["channels"].setdefault(int(where), set()).add(codename)
    return held


def _permissions(user) -> dict | None:
    """The user's permission rows, read once per user object (and kept in the cache until any
    permission changes: kumagaya_portal.page_cache.remember_for_user). Django's own permission
    cache on the user is filled from them, so `user.has_perm` asks nothing more. None for
    superusers and inactive accounts (Django and guardian answer for those themselves)."""
    if not (user and user.is_authenticated and user.is_active) or user.is_superuser:
        return None
    memo = _memo(user)
    if "held" not in memo:
        from kumagaya_portal.page_cache import remember_for_user

        held = remember_for_user("permissions", user, _read_permissions)
        memo["held"] = held
        if not hasattr(user, "_perm_cache"):
            user._perm_cache = set(held["global"])
    return memo["held"]


def channel_ids_held(user, codename: str) -> list[int] | None:
    """Ids of the channels on which `user` holds `codename` (guardian, directly or through a
    group), from the permission rows read once; None when they are not read (superusers)."""
    held = _permissions(user)
    if held is None:
        return None
    return sorted(pk for pk, codenames in held["channels"].items() if codename in codenames)


def _object_perms(user, channel: Channel) -> frozenset[str]:
    """Codenames the user holds on this channel (guardian, user and group), once per user object."""
    memo = _memo(user)
    key = ("obj", channel.pk)
    if key not in memo:
        held = _permissions(user)
        if held is None:
            memo[key] = frozenset(ObjectPermissionChecker(user).get_perms(channel))
        else:
            memo[key] = frozenset(held["channels"].get(channel.pk, ()))
    return memo[key]


def current_staff_rules_version(user) -> str | None:
    from .identity import current_staff_rules

    rules = current_staff_rules(user)
    return rules.version if rules else None


# --------------------------------------------------------------- predicates
def is_signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and not getattr(user, "is_deleted", False))


def is_global_moderator(user) -> bool:
    if not is_signed_in(user):
        return False
    _permissions(user)  # fills Django's permission cache in one query
    return user.is_superuser or user.has_perm(MODERATE)


def is_channel_moderator(user, channel: Channel) -> bool:
    return is_global_moderator(user) or (is_signed_in(user) and "moderate_channel" in _object_perms(user, channel))


def is_city_staff(user) -> bool:
    return is_signed_in(user) and user.is_city_staff


def is_department_staff(user, channel: Channel) -> bool:
    """City staff of one of the channel's responsible departments."""
    if not is_city_staff(user) or not user.department_id:
        return False
    return any(d.pk == user.department_id for d in channel.departments.all())


def is_member(user, channel: Channel) -> bool:
    return is_signed_in(user) and "view_private_channel" in _object_perms(user, channel)


def is_suspended(user) -> bool:
    until = getattr(user, "suspended_until", None)
    return is_signed_in(user) and until is not None and until > timezone.now()


def has_accepted_guidelines(user) -> bool:
    return is_signed_in(user) and bool(user.guidelines_version)


def has_pen_name(user) -> bool:
    return is_signed_in(user) and bool(user.pen_name)


def has_confirmed_staff_rules(user) -> bool:
    if not is_city_staff(user):
        return True
    version = current_staff_rules_version(user)
    return version is None or user.staff_rules_version == version


def is_author(user, obj) -> bool:
    return is_signed_in(user) and obj.author_id == user.pk


def is_private_tier(channel: Channel) -> bool:
    return channel.tier_id in (Tier.B, Tier.C)


# ------------------------------------------------------------------- posting
class Denial:
    """Codes for `post_denial`; the view shows `denial_message(code, user)`."""

    SIGN_IN = "sign_in"
    SUSPENDED = "suspended"
    CLOSED = "closed"
    STAFF_ONLY = "staff_only"
    NOT_MEMBER = "not_member"
    REAL_NAME = "real_name"


class Step:
    """Codes for `missing_step`: URL names in accounts (each takes ?next=)."""

    GUIDELINES = "guidelines"
    PEN_NAME = "pen_name"
    STAFF_RULES = "staff_rules"


def post_denial(user, channel: Channel) -> str | None:
    """Why `user` may not post in `channel` at all (None: nothing in the way but, perhaps, a step).
    Callers check can_view_channel first (a hidden channel is a 404, not a denial)."""
    if not is_signed_in(user):
        return Denial.SIGN_IN
    if is_suspended(user):
        return Denial.SUSPENDED
    if channel.posting_policy == PostingPolicy.CLOSED:
        return Denial.CLOSED
    if channel.posting_policy == PostingPolicy.STAFF_ONLY and not is_city_staff(user):
        return Denial.STAFF_ONLY
    if channel.tier_id == Tier.A:
        return None
    # B and C: members (staff post in any B channel) with a real name verified by staff.
    if not (is_member(user, channel) or (channel.tier_id == Tier.B and is_city_staff(user))):
        return Denial.NOT_MEMBER
    if not (user.real_name_verified or user.is_city_staff):
        return Denial.REAL_NAME
    return None


def missing_step(user, channel: Channel) -> str | None:
    """The next thing the user must do before posting here (a page in accounts)."""
    if not has_accepted_guidelines(user):
        return Step.GUIDELINES
    if channel.tier_id == Tier.A and not has_pen_name(user):
        return Step.PEN_NAME
    if not has_confirmed_staff_rules(user):
        return Step.STAFF_RULES
    return None


def can_post_in_channel(user, channel: Channel) -> bool:
    return (
        can_view_channel(user, channel) and post_denial(user, channel) is None and missing_step(user, channel) is None
    )


# -------------------------------------------------------------------- rules
def can_view_channel(user, channel: Channel) -> bool:
    if channel.tier_id == Tier.A and not channel.members_only:
        return True
    if is_channel_moderator(user, channel):
        return True
    if channel.tier_id in (Tier.A, Tier.B) and is_city_staff(user):
        return True
    return is_member(user, channel)


def can_view_thread(user, thread) -> bool:
    """A thread follows its first post: others see it once published."""
    channel = thread.channel
    if not can_view_channel(user, channel):
        return False
    return thread.visibility == Visibility.PUBLISHED or is_author(user, thread) or is_channel_moderator(user, channel)


def can_view_post(user, post) -> bool:
    """The post has a place on the thread page for `user` (perhaps only as a placeholder).
    Pending posts have a place only for their author and moderators."""
    if not can_view_thread(user, post.thread):
        return False
    return (
        post.visibility != Visibility.PENDING
        or is_author(user, post)
        or is_channel_moderator(user, post.thread.channel)
    )


def can_start_thread(user, channel: Channel) -> bool:
    return can_post_in_channel(user, channel)


def reply_denial(user, thread) -> str | None:
    """Thread-level reasons for no replies (on top of the channel's): locked, not yet published."""
    if thread.is_locked:
        return "locked"
    if thread.visibility != Visibility.PUBLISHED:
        return "not_published"
    return None


def can_reply(user, thread) -> bool:
    return can_post_in_channel(user, thread.channel) and reply_denial(user, thread) is None


def can_quote(user, post) -> bool:
    return can_reply(user, post.thread) and can_view_post(user, post) and post.is_readable


def can_edit_post(user, post) -> bool:
    """Authors edit their own posts while they can still post here and the post is theirs to show."""
    channel = post.thread.channel
    return (
        is_author(user, post)
        and can_view_post(user, post)
        and not post.is_deleted_by_author
        and post.visibility in (Visibility.PUBLISHED, Visibility.PENDING)
        and not post.thread.is_locked
        and post_denial(user, channel) is None
    )


def can_delete_post(user, post) -> bool:
    """Authors may always take their own words back (even while suspended)."""
    return is_author(user, post) and can_view_post(user, post) and not post.is_deleted_by_author


def can_change_phase(user, thread) -> bool:
    """The thread's author, city staff who take part here, and moderators; back and forth."""
    channel = thread.channel
    if not can_view_thread(user, thread) or is_suspended(user):
        return False
    if is_channel_moderator(user, channel):
        return True
    if thread.visibility != Visibility.PUBLISHED:
        return False
    return is_author(user, thread) or is_city_staff(user)


def can_change_settings(user, channel: Channel) -> bool:
    """City staff of the channel's responsible departments, and superusers."""
    if not can_view_channel(user, channel):
        return False
    return is_signed_in(user) and (user.is_superuser or is_department_staff(user, channel))


def can_view_revisions(user, post) -> bool:
    return can_view_post(user, post) and is_channel_moderator(user, post.thread.channel)


PHASES = Phase  # re-exported for templates that build phase menus


# ----------------------------------------------------------- reading a post
class PostState:
    """What the reader gets in a post's place on the thread page."""

    BODY = "body"  # published: the body
    PENDING = "pending"  # the author (and moderators): body + 「確認待ち」 + reason
    HIDDEN = "hidden"  # others: 「モデレーターにより非表示にされました」
    HIDDEN_OWN = "hidden_own"  # the author (and moderators): body + notice + reason
    REMOVED = "removed"  # everyone: 「削除されました：<reason>」
    DELETED = "deleted"  # everyone: 「投稿者により削除されました」


def post_state(user, post, *, moderator: bool) -> tuple[str, bool]:
    """(state, show_body) for `post` on a page `user` reads; pure, no queries.
    `moderator` is is_channel_moderator(user, channel), asked once per page."""
    own = is_signed_in(user) and post.author_id == user.pk
    if post.visibility == Visibility.REMOVED:
        return PostState.REMOVED, moderator
    if post.is_deleted_by_author:
        return PostState.DELETED, moderator
    if post.visibility == Visibility.HIDDEN:
        return (PostState.HIDDEN_OWN, True) if own or moderator else (PostState.HIDDEN, False)
    if post.visibility == Visibility.PENDING:
        return PostState.PENDING, own or moderator
    return PostState.BODY, True


def readable_posts_filter(user, *, moderator: bool) -> Q:
    """Posts that have a place on the thread page for `user` (see can_view_post)."""
    if moderator:
        return Q()
    if is_signed_in(user):
        return ~Q(visibility=Visibility.PENDING) | Q(author_id=user.pk)
    return ~Q(visibility=Visibility.PENDING)


def listed_threads_filter(user, *, moderator: bool) -> Q:
    """Threads on the channel page for `user`: published ones, one's own, all for moderators."""
    if moderator:
        return Q()
    if is_signed_in(user):
        return Q(visibility=Visibility.PUBLISHED) | Q(author_id=user.pk)
    return Q(visibility=Visibility.PUBLISHED)


# ------------------------------------------------------------------- lists
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
    channel = (
        Channel.objects.select_related("tier", "linked_channel", "workspace")
        .prefetch_related("departments")
        .filter(slug=slug)
        .first()
    )
    if channel is None or not can_view_channel(user, channel):
        return None
    return channel


# --- membership, attachments, follows (C2)
def _active_membership(user, channel: Channel):
    from .models import Membership

    if not is_signed_in(user):
        return None
    return Membership.objects.filter(channel=channel, user=user, state=Membership.State.ACTIVE).first()


def is_channel_owner(user, channel: Channel) -> bool:
    from .models import Membership

    membership = _active_membership(user, channel)
    return membership is not None and membership.role == Membership.Role.OWNER


def is_workspace_owner(user, channel: Channel) -> bool:
    return (
        is_signed_in(user) and channel.workspace_id is not None and channel.workspace.owners.filter(pk=user.pk).exists()
    )


def can_manage_members(user, channel: Channel) -> bool:
    """Invite, approve, decline, remove: city staff, workspace owners and channel owners (B and C only)."""
    if channel.tier_id not in (Tier.B, Tier.C) or not is_signed_in(user) or is_suspended(user):
        return False
    return (
        user.is_superuser or is_city_staff(user) or is_workspace_owner(user, channel) or is_channel_owner(user, channel)
    )


def can_request_to_join(user, channel: Channel) -> bool:
    """B channels only (their A channel says they exist); C workspaces are invitation-only."""
    return channel.tier_id == Tier.B and is_signed_in(user) and not can_view_channel(user, channel)


def can_leave_channel(user, channel: Channel) -> bool:
    return channel.tier_id in (Tier.B, Tier.C) and _active_membership(user, channel) is not None


def can_download_attachment(user, attachment) -> bool:
    """Same as seeing the post's body on the thread page (hidden, removed, pending: 404 for readers)."""
    post = attachment.post
    if not can_view_post(user, post):
        return False
    return post_state(user, post, moderator=is_channel_moderator(user, post.thread.channel))[1]


def can_follow_channel(user, channel: Channel) -> bool:
    return is_signed_in(user) and can_view_channel(user, channel)


def can_follow_thread(user, thread) -> bool:
    return is_signed_in(user) and can_view_thread(user, thread) and thread.visibility == Visibility.PUBLISHED


def viewers_among(channel: Channel, users) -> set[int]:
    """Ids of `users` for whom can_view_channel(user, channel) holds, in a fixed number of queries.

    The same rule as can_view_channel, for a batch (notification tasks); tests check both agree."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Q
    from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

    users = [u for u in users if is_signed_in(u)]
    if not users:
        return set()
    ids = {u.pk for u in users}
    if channel.tier_id == Tier.A and not channel.members_only:
        return ids
    allowed = {u.pk for u in users if u.is_superuser}
    if channel.tier_id in (Tier.A, Tier.B):
        allowed |= {u.pk for u in users if u.is_city_staff}
    rest = ids - allowed
    if not rest:
        return allowed
    moderate = Permission.objects.filter(codename="moderate_channel", content_type__app_label="channels")
    allowed |= set(
        get_user_model()
        .objects.filter(pk__in=rest)
        .filter(Q(user_permissions__in=moderate) | Q(groups__permissions__in=moderate))
        .values_list("pk", flat=True)
    )
    rest = ids - allowed
    if not rest:
        return allowed
    ct = ContentType.objects.get_for_model(Channel)
    codenames = ["view_private_channel", "moderate_channel"]
    user_perms = get_user_obj_perms_model(channel).objects.filter(
        user_id__in=rest, permission__codename__in=codenames, content_type=ct, object_pk=str(channel.pk)
    )
    allowed |= set(user_perms.values_list("user_id", flat=True))
    group_perms = get_group_obj_perms_model(channel).objects.filter(
        group__user__in=rest, permission__codename__in=codenames, content_type=ct, object_pk=str(channel.pk)
    )
    allowed |= set(group_perms.values_list("group__user", flat=True))
    return allowed & ids


def shared_page_audience(user) -> str | None:
    """Signed-in users who see the official range alike share its rendered pages (page cache):
    the same readable channels and no editing or moderation tools on the page.
    None: this user's pages are rendered for them alone (staff, editors, moderators)."""
    if not is_signed_in(user) or user.is_superuser or user.is_staff or user.is_city_staff:
        return None
    if is_global_moderator(user) or user.has_perm("wagtailadmin.access_admin"):
        return None
    readable = sorted(visible_channels(user).values_list("pk", flat=True))
    return "signed-in:" + ",".join(map(str, readable))
