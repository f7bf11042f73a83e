"""After login or e-mail confirmation: invitations sent to the user's addresses become theirs.

If the user opened an invitation link before signing in or up (the token waits in
the session), that invitation is accepted now; others are announced with a link.
"""

from allauth.account.signals import email_confirmed
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from . import services, tokens
from .models import Membership

SESSION_INVITATION = "channels.invitation_token"


@receiver(user_logged_in, dispatch_uid="channels.claim_invitations_on_login")
def claim_on_login(sender, request, user, **kwargs):
    services.do_claim_invitations(actor=user)
    session = getattr(request, "session", None)
    token = session.pop(SESSION_INVITATION, None) if session is not None else None
    data = tokens.read_invitation_token(token) if token else None
    if data:
        membership = (
            Membership.objects.select_related("channel")
            .filter(pk=data[0], invited_email__iexact=data[1], state=Membership.State.INVITED)
            .first()
        )
        if membership is not None and services.invitation_matches(membership, user):
            services.do_accept_invitation(actor=user, membership=membership)
            _notify(request, _("「%(channel)s」に参加しました。") % {"channel": membership.channel.display_name})
    if Membership.objects.filter(user=user, state=Membership.State.INVITED).exists():
        _notify(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                _("チャンネルへの招待が届いています。"),
                reverse("channels:invitations"),
                _("招待を確認する"),
            ),
        )


@receiver(email_confirmed, dispatch_uid="channels.claim_invitations_on_email_confirmed")
def claim_on_email_confirmed(sender, request, email_address, **kwargs):
    if email_address.user_id:
        services.do_claim_invitations(actor=email_address.user)


def _notify(request, text):
    if request is not None:
        messages.info(request, text, fail_silently=True)
