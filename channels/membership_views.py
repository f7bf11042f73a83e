"""Members of B channels and C workspaces: the members page, invitations, join requests, leaving.

Anyone who may not manage or see a private channel gets 404, the same answer as
for a channel that does not exist. Sign-in comes first, for every slug alike.
"""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import permissions, services, tokens
from .forms_membership import InviteForm
from .identity import display_author
from .membership_signals import SESSION_INVITATION
from .models import Channel, Membership, Tier


def _channel(slug: str) -> Channel | None:
    return Channel.objects.select_related("tier", "workspace", "linked_channel").filter(slug=slug).first()


def _managed_channel_or_404(user, slug: str) -> Channel:
    channel = _channel(slug)
    if channel is None or not permissions.can_manage_members(user, channel):
        raise Http404
    return channel


def _rows(channel: Channel, memberships) -> list[dict]:
    return [
        {"membership": m, "who": display_author(m.user, channel) if m.user_id else None, "email": m.invited_email}
        for m in memberships
    ]


def members(request, slug):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    channel = _managed_channel_or_404(request.user, slug)
    form = InviteForm()
    if request.method == "POST":
        form = InviteForm(request.POST)
        if form.is_valid():
            try:
                services.do_invite(actor=request.user, channel=channel, email=form.cleaned_data["email"])
            except services.MembershipError as exc:
                form.add_error("email", str(exc))
            else:
                messages.success(
                    request,
                    _("%(email)s に招待メールを送りました。") % {"email": form.cleaned_data["email"]},
                )
                return redirect("channels:members", slug=channel.slug)
    memberships = list(
        Membership.objects.filter(
            channel=channel,
            state__in=[Membership.State.ACTIVE, Membership.State.INVITED, Membership.State.REQUESTED],
        )
        .select_related("user__department")
        .order_by("-role", "created_at", "id")
    )
    by_state = {state: [m for m in memberships if m.state == state] for state in Membership.State.values}
    return render(
        request,
        "channels/membership/members.html",
        {
            "channel": channel,
            "form": form,
            "active": _rows(channel, by_state[Membership.State.ACTIVE]),
            "invited": _rows(channel, by_state[Membership.State.INVITED]),
            "requested": _rows(channel, by_state[Membership.State.REQUESTED]),
            "can_view": permissions.can_view_channel(request.user, channel),
        },
        status=400 if form.errors else 200,
    )


MEMBER_ACTIONS = {
    "approve": (services.do_approve_join, gettext_lazy("参加申請を承認しました。")),
    "decline": (services.do_decline_join, gettext_lazy("参加申請を見送りました。")),
    "remove": (
        services.do_remove_member,
        gettext_lazy("メンバーから外しました。この方はもうこのチャンネルを見ることができません。"),
    ),
    "cancel": (services.do_cancel_invitation, gettext_lazy("招待を取り消しました。")),
}


@require_POST
def member_action(request, slug, membership_id, action):
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("channels:members", args=[slug]))
    channel = _managed_channel_or_404(request.user, slug)
    membership = get_object_or_404(Membership, pk=membership_id, channel=channel)
    if action not in MEMBER_ACTIONS:
        raise Http404
    service, done = MEMBER_ACTIONS[action]
    try:
        service(actor=request.user, membership=membership)
    except services.MembershipError as exc:
        messages.error(request, str(exc))
    except PermissionDenied as exc:
        raise Http404 from exc
    else:
        messages.success(request, done)
    return redirect("channels:members", slug=channel.slug)


def join(request, slug):
    """Ask to join a B channel (its A channel says it exists). C workspaces: invitation only, 404."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    channel = _channel(slug)
    if channel is None or channel.tier_id != Tier.B:
        raise Http404
    if permissions.can_view_channel(request.user, channel):
        return redirect("channels:channel", slug=channel.slug)
    membership = Membership.objects.filter(channel=channel, user=request.user).first()
    if membership and membership.state == Membership.State.INVITED:
        return redirect("channels:invitations")
    if request.method == "POST":
        try:
            services.do_request_join(actor=request.user, channel=channel)
        except services.MembershipError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("参加申請を送りました。承認されるとメールでお知らせします。"))
            return redirect("channels:join", slug=channel.slug)
    return render(
        request,
        "channels/membership/join.html",
        {"channel": channel, "membership": membership, "State": Membership.State},
        status=429 if request.method == "POST" else 200,
    )


def leave(request, slug):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    channel = _channel(slug)
    if channel is None or not permissions.can_leave_channel(request.user, channel):
        raise Http404
    if request.method == "POST":
        services.do_leave(actor=request.user, channel=channel)
        messages.success(request, _("「%(channel)s」から退出しました。") % {"channel": channel.display_name})
        return redirect("channels:lab")
    return render(request, "channels/membership/leave.html", {"channel": channel})


# ------------------------------------------------------------------ invitations
def _masked(email: str) -> str:
    local, _at, domain = email.partition("@")
    return f"{local[:2]}{'*' * max(len(local) - 2, 1)}@{domain}"


def invitation(request, token):
    """The link in the invitation e-mail. Signed out: sign in or sign up first (the token waits in the session)."""
    data = tokens.read_invitation_token(token)
    membership = None
    if data:
        membership = (
            Membership.objects.select_related("channel").filter(pk=data[0], invited_email__iexact=data[1]).first()
        )
    if (
        membership is not None
        and membership.state == Membership.State.ACTIVE
        and request.user.is_authenticated
        and membership.user_id == request.user.pk
    ):
        # Already accepted (e.g. right after sign-up, where the link was the "next" page).
        return redirect("channels:channel", slug=membership.channel.slug)
    if membership is None or membership.state != Membership.State.INVITED:
        return render(request, "channels/membership/invitation_invalid.html", status=404)
    channel = membership.channel
    context = {"channel": channel, "membership": membership, "token": token}
    if not request.user.is_authenticated:
        request.session[SESSION_INVITATION] = token
        context["login_url"] = f"{reverse('account_login')}?next={request.path}"
        context["signup_url"] = f"{reverse('account_signup')}?next={request.path}"
        return render(request, "channels/membership/invitation_signin.html", context)
    if not services.invitation_matches(membership, request.user):
        context["masked_email"] = _masked(membership.invited_email)
        return render(request, "channels/membership/invitation_other.html", context, status=403)
    if request.method == "POST":
        request.session.pop(SESSION_INVITATION, None)
        return _respond(request, membership, request.POST.get("action"))
    return render(request, "channels/membership/invitation.html", context)


def _respond(request, membership: Membership, action: str | None):
    channel = membership.channel
    try:
        if action == "accept":
            services.do_accept_invitation(actor=request.user, membership=membership)
            messages.success(request, _("「%(channel)s」に参加しました。") % {"channel": channel.display_name})
            return redirect("channels:channel", slug=channel.slug)
        if action == "decline":
            services.do_decline_invitation(actor=request.user, membership=membership)
            messages.success(request, _("招待を辞退しました。"))
            return redirect("channels:lab")
    except services.MembershipError as exc:
        messages.error(request, str(exc))
    return redirect("channels:invitations")


def _my_invitations(user):
    emails = services.verified_emails(user)
    qs = Membership.objects.filter(state=Membership.State.INVITED).select_related("channel")
    mine = qs.filter(user=user) | qs.filter(user__isnull=True, invited_email__in=emails)
    return list(mine.order_by("created_at", "id"))


def invitations(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return render(request, "channels/membership/invitations.html", {"invitations": _my_invitations(request.user)})


@require_POST
def invitation_respond(request, membership_id):
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("channels:invitations"))
    membership = Membership.objects.select_related("channel").filter(pk=membership_id).first()
    if membership is None or not services.invitation_matches(membership, request.user):
        raise Http404
    return _respond(request, membership, request.POST.get("action"))
