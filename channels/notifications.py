"""Who is told about what, and the e-mails that tell them.

Called by channels.tasks (one function per task). Every function checks again,
when it runs, that the post is still readable and that each recipient may still
see it: a member removed after a notification was queued gets nothing.
Authors are shown through channels.identity.display_author only, so an e-mail
about a tier-A post carries the pen name and nothing else about the author.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, mailers
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator

from . import permissions, tokens
from .identity import display_author, staff_disclaimer_text
from .models import Channel, Follow, Membership, Post, PostNotification, Visibility

DIGEST_EXCERPT_CHARS = 400
SUBJECT_PREFIX = "[熊谷市Webコモンスペース] "


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _subject(text: str) -> str:
    subject = f"{getattr(settings, 'ACCOUNT_EMAIL_SUBJECT_PREFIX', SUBJECT_PREFIX)}{text}"
    return " ".join(subject.split())  # no newlines in a header


def _message(*, subject: str, to: str, template: str, context: dict, headers: dict | None = None):
    context = {**context, "SITE_URL": settings.SITE_URL, "OFFICIAL_SITE_URL": settings.OFFICIAL_SITE_URL}
    message = EmailMultiAlternatives(
        subject=_subject(subject),
        body=render_to_string(f"channels/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Auto-Submitted": "auto-generated", **(headers or {})},
    )
    message.attach_alternative(render_to_string(f"channels/email/{template}.html", context), "text/html")
    return message


def _unsubscribe_headers(url: str) -> dict:
    # RFC 2369 + RFC 8058: mail clients may POST "List-Unsubscribe=One-Click" to the URL.
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def post_is_notifiable(post: Post) -> bool:
    return post.is_readable and post.thread.visibility == Visibility.PUBLISHED


def post_url(post: Post) -> str:
    thread = post.thread
    return absolute(reverse("channels:thread", args=[thread.channel.slug, thread.pk])) + f"#post-{post.pk}"


def post_entry(post: Post, disclaimer: str) -> dict:
    """What an e-mail shows of one post; the author only through display_author."""
    channel = post.thread.channel
    who = display_author(post.author, channel, as_staff=post.author_was_staff)
    return {
        "post": post,
        "thread": post.thread,
        "channel": channel,
        "author": who,
        "disclaimer": disclaimer if who.is_staff else "",
        "url": post_url(post),
        "excerpt": Truncator(post.body).chars(DIGEST_EXCERPT_CHARS),
        "attachments": list(post.attachments.all()),
    }


# ------------------------------------------------------------------ new posts
def recipients_for_post(post: Post) -> list[Follow]:
    """One follow per follower who may still see the post (thread follows win over channel follows)."""
    channel = post.thread.channel
    follows = (
        Follow.objects.filter(Q(thread_id=post.thread_id) | Q(channel_id=channel.pk))
        .exclude(user_id=post.author_id)
        .filter(user__is_active=True, user__is_deleted=False)
        .select_related("user")
        .order_by("user_id", "id")
    )
    chosen: dict[int, Follow] = {}
    for follow in follows:
        if follow.user_id not in chosen or follow.thread_id is not None:
            chosen[follow.user_id] = follow
    viewers = permissions.viewers_among(channel, [f.user for f in chosen.values()])
    return [f for uid, f in chosen.items() if uid in viewers and f.user.email]


def deliver_new_post(post_id: int) -> int:
    """Task body for one new post: e-mail immediate followers, queue the post for daily digests."""
    post = Post.objects.select_related("thread__channel", "author__department").filter(pk=post_id).first()
    if post is None or not post_is_notifiable(post):
        return 0
    follows = recipients_for_post(post)
    if not follows:
        return 0
    done = set(
        PostNotification.objects.filter(post=post, user_id__in=[f.user_id for f in follows]).values_list(
            "user_id", flat=True
        )
    )
    follows = [f for f in follows if f.user_id not in done]
    immediate = [f for f in follows if f.delivery == Follow.Delivery.IMMEDIATE]
    now = timezone.now()
    if immediate:
        with translation.override(settings.LANGUAGE_CODE):
            entry = post_entry(post, staff_disclaimer_text() if post.author_was_staff else "")
            messages = [_new_post_message(entry, follow) for follow in immediate]
        mailers.default.send_messages(messages)
    PostNotification.objects.bulk_create(
        [
            PostNotification(
                user_id=f.user_id,
                follow=f,
                post=post,
                delivery=f.delivery,
                sent_at=now if f.delivery == Follow.Delivery.IMMEDIATE else None,
            )
            for f in follows
        ],
        ignore_conflicts=True,
    )
    return len(immediate)


def _new_post_message(entry: dict, follow: Follow):
    unsubscribe = absolute(reverse("channels:unsubscribe", args=[tokens.unsubscribe_token(follow)]))
    context = {
        **entry,
        "entry": entry,
        "recipient": follow.user,
        "follow": follow,
        "followed_label": entry["thread"].title if follow.thread_id else entry["channel"].display_name,
        "unsubscribe_url": unsubscribe,
        "follows_url": absolute(reverse("channels:follows")),
    }
    return _message(
        subject=f"{entry['channel'].display_name}：{entry['thread'].title}",
        to=follow.user.email,
        template="new_post",
        context=context,
        headers=_unsubscribe_headers(unsubscribe),
    )


# ---------------------------------------------------------------- daily digest
def send_digest(user_id: int) -> int:
    """Task body: one e-mail with the user's waiting posts that are still readable for them."""
    items = list(
        PostNotification.objects.filter(user_id=user_id, delivery=Follow.Delivery.DAILY, sent_at__isnull=True)
        .select_related("follow", "post__thread__channel", "post__author__department")
        .prefetch_related("post__attachments")
        .order_by("post__thread__channel_id", "post__thread_id", "post__created_at", "post_id")
    )
    if not items:
        return 0
    user = get_user_model().objects.filter(pk=user_id).first()
    to_send = []
    if user is not None and permissions.is_signed_in(user) and user.email:
        readable = [i for i in items if post_is_notifiable(i.post)]
        channels = {i.post.thread.channel_id: i.post.thread.channel for i in readable}
        visible = {cid for cid, ch in channels.items() if user.pk in permissions.viewers_among(ch, [user])}
        to_send = [i for i in readable if i.post.thread.channel_id in visible]
    if to_send:
        with translation.override(settings.LANGUAGE_CODE):
            disclaimer = staff_disclaimer_text() if any(i.post.author_was_staff for i in to_send) else ""
            _digest_message(user, to_send, disclaimer).send()
    PostNotification.objects.filter(pk__in=[i.pk for i in items]).update(sent_at=timezone.now())
    return len(to_send)


def _digest_message(user, items: list[PostNotification], disclaimer: str):
    groups: list[dict] = []
    for item in items:
        entry = post_entry(item.post, disclaimer)
        if not groups or groups[-1]["thread"].pk != entry["thread"].pk:
            groups.append({"thread": entry["thread"], "channel": entry["channel"], "entries": []})
        groups[-1]["entries"].append(entry)
    follows = {item.follow_id: item.follow for item in items}
    stop_links = [
        {
            "follow": f,
            "label": (f.thread.title if f.thread_id else f.channel.display_name),
            "url": absolute(reverse("channels:unsubscribe", args=[tokens.unsubscribe_token(f)])),
        }
        for f in _with_targets(follows.values())
    ]
    unsubscribe = absolute(reverse("channels:unsubscribe", args=[tokens.digest_unsubscribe_token(user)]))
    context = {
        "recipient": user,
        "groups": groups,
        "count": len(items),
        "stop_links": stop_links,
        "unsubscribe_url": unsubscribe,
        "follows_url": absolute(reverse("channels:follows")),
        "date": timezone.localdate(),
    }
    return _message(
        subject=translation.gettext("きょうの新しい投稿（%(count)d件）") % {"count": len(items)},
        to=user.email,
        template="digest",
        context=context,
        headers=_unsubscribe_headers(unsubscribe),
    )


def _with_targets(follows) -> list[Follow]:
    return list(
        Follow.objects.filter(pk__in=[f.pk for f in follows]).select_related("thread", "channel").order_by("id")
    )


# ------------------------------------------------------------------ membership
def send_invitation(membership_id: int, inviter_id: int | None) -> bool:
    membership = Membership.objects.select_related("channel", "user").filter(pk=membership_id).first()
    if membership is None or membership.state != Membership.State.INVITED:
        return False
    channel = membership.channel
    inviter = get_user_model().objects.select_related("department").filter(pk=inviter_id).first()
    if inviter is None or not permissions.can_manage_members(inviter, channel):
        return False
    to = membership.invited_email or (membership.user.email if membership.user_id else "")
    if not to:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "channel": channel,
            "inviter": display_author(inviter, channel),
            "has_account": membership.user_id is not None,
            "accept_url": absolute(reverse("channels:invitation", args=[tokens.invitation_token(membership)])),
            "days": tokens.INVITATION_MAX_AGE // 86400,
        }
        _message(
            subject=translation.gettext("「%(channel)s」への招待") % {"channel": channel.display_name},
            to=to,
            template="invitation",
            context=context,
        ).send()
    return True


def membership_managers(channel: Channel) -> list:
    """Who hears about join requests: channel owners, workspace owners, else the responsible departments' staff."""
    User = get_user_model()
    owners = User.objects.filter(
        Q(memberships__channel=channel, memberships__state=Membership.State.ACTIVE, memberships__role="owner")
        | Q(owned_workspaces__channel=channel)
    )
    if channel.tier_id == "B" and not owners.exists():
        owners = User.objects.filter(is_city_staff=True, department__channels=channel)
    users = list(owners.filter(is_active=True, is_deleted=False).select_related("department").distinct())
    return [u for u in users if permissions.can_manage_members(u, channel)]


def send_membership_news(membership_id: int, event: str) -> int:
    membership = Membership.objects.select_related("channel", "user__department").filter(pk=membership_id).first()
    if membership is None or membership.user_id is None:
        return 0
    channel = membership.channel
    with translation.override(settings.LANGUAGE_CODE):
        if event == "requested" and membership.state == Membership.State.REQUESTED:
            context = {
                "channel": channel,
                "requester": display_author(membership.user, channel),
                "members_url": absolute(reverse("channels:members", args=[channel.slug])),
            }
            messages = [
                _message(
                    subject=translation.gettext("「%(channel)s」への参加申請") % {"channel": channel.display_name},
                    to=manager.email,
                    template="join_request",
                    context=context,
                )
                for manager in membership_managers(channel)
                if manager.email
            ]
            return mailers.default.send_messages(messages) or 0
        if event == "approved" and membership.state == Membership.State.ACTIVE:
            context = {"channel": channel, "channel_url": absolute(reverse("channels:channel", args=[channel.slug]))}
            _message(
                subject=translation.gettext("「%(channel)s」に参加しました") % {"channel": channel.display_name},
                to=membership.user.email,
                template="join_approved",
                context=context,
            ).send()
            return 1
    return 0
