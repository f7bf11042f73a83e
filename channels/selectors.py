"""Queries the channel pages need, with their joins (no N+1).

Every list here is read in a fixed number of queries whatever its size; the
tests in tests/test_channels_queries.py hold the bounds.
"""

from django.db.models import Q, QuerySet

from . import permissions
from .models import Channel, PhaseChange, Post, Thread, Tier
from .permissions import visible_channels


def lab_channels(user) -> dict[str, list[Channel]]:
    channels = (
        visible_channels(user)
        .select_related("tier", "linked_channel")
        .prefetch_related("departments")
        .order_by("tier_id", "number", "id")
    )
    grouped: dict[str, list[Channel]] = {Tier.A: [], Tier.B: [], Tier.C: []}
    for ch in channels:
        grouped[ch.tier_id].append(ch)
    return grouped


def channel_threads(
    channel: Channel, user=None, *, moderator: bool = False, kind: str = "", phase: str = ""
) -> QuerySet[Thread]:
    """Threads by last activity; the "last post" line joins its author (shown via display_author)."""
    qs = Thread.objects.filter(channel=channel).filter(permissions.listed_threads_filter(user, moderator=moderator))
    if kind:
        qs = qs.filter(kind=kind)
    if phase:
        qs = qs.filter(phase=phase)
    return qs.select_related("last_post__author__department").order_by("-last_activity_at", "-id")


def thread_for(channel: Channel, thread_id: int) -> Thread | None:
    return (
        Thread.objects.select_related("channel__tier", "channel__linked_channel", "channel__workspace")
        .filter(pk=thread_id, channel=channel)
        .first()
    )


def thread_posts(thread: Thread, user=None, *, moderator: bool = False) -> QuerySet[Post]:
    """The posts that have a place on the page for `user`, oldest first, with authors and quotes."""
    return (
        Post.objects.filter(thread=thread)
        .filter(permissions.readable_posts_filter(user, moderator=moderator))
        .select_related("author__department", "quoted__author__department")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def post_for(channel: Channel, post_id: int) -> Post | None:
    return (
        Post.objects.select_related("thread__channel__tier", "author__department", "quoted__author__department")
        .filter(pk=post_id, thread__channel=channel)
        .first()
    )


def post_for_token(user, token: str) -> Post | None:
    """The post this user already made with this form token (a double-submitted form)."""
    if not token:
        return None
    return Post.objects.select_related("thread__channel").filter(author=user, idempotency_key=token).first()


def page_of_post(post: Post, user, *, moderator: bool, per_page: int) -> int:
    """The thread page on which `post` appears for `user`."""
    before = (
        Post.objects.filter(thread_id=post.thread_id)
        .filter(permissions.readable_posts_filter(user, moderator=moderator))
        .filter(Q(created_at__lt=post.created_at) | Q(created_at=post.created_at, id__lt=post.pk))
        .count()
    )
    return before // per_page + 1


def phase_changes(thread: Thread) -> list[PhaseChange]:
    return list(PhaseChange.objects.filter(thread=thread).order_by("created_at", "id"))


def citations(thread: Thread):
    return list(thread.citations.select_related("page", "meeting").order_by("id"))


def citation_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped choices for the thread form: live, public Wagtail pages under the home page and
    public meeting records. Values are "page:<id>" and "meeting:<id>"."""
    from django.utils.translation import gettext as _
    from wagtail.models import Page

    from archive.models import Meeting
    from cms.models import HomePage
    from kumagaya_portal.dates import format_date, format_undecided

    home = HomePage.objects.first()
    pages = []
    if home is not None:
        pages = [
            (f"page:{pk}", title)
            for pk, title in Page.objects.live()
            .public()
            .descendant_of(home)
            .order_by("path")
            .values_list("pk", "title")
        ]
    meetings = []
    for m in Meeting.objects.filter(is_public=True).only("pk", "title", "date", "month"):
        day = format_date(m.date) if m.date else format_undecided(m.month)
        meetings.append((f"meeting:{m.pk}", f"{m.title}（{day}）"))
    groups = []
    if pages:
        groups.append((_("熊谷市の公式情報"), pages))
    if meetings:
        groups.append((_("会議・イベントの記録"), meetings))
    return groups


def citation_target(value: str):
    """The Page or Meeting a "page:<id>"/"meeting:<id>" choice names, if it may still be cited."""
    from wagtail.models import Page

    from archive.models import Meeting
    from cms.models import HomePage

    kind, _, raw = (value or "").partition(":")
    if not raw.isdigit():
        return None
    if kind == "meeting":
        return Meeting.objects.filter(pk=int(raw), is_public=True).first()
    if kind == "page":
        home = HomePage.objects.first()
        if home is None:
            return None
        return Page.objects.live().public().descendant_of(home).filter(pk=int(raw)).first()
    return None


def has_planning_room(channel: Channel) -> bool:
    return channel.tier_id == Tier.A and channel.planning_rooms.exists()


def planning_rooms(channel: Channel) -> list[Channel]:
    return list(channel.planning_rooms.select_related("tier").order_by("id"))
