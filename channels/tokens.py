"""Signed tokens for links in e-mails: invitations and unsubscribing (no login needed)."""

from django.core import signing

INVITATION_SALT = "channels.invitation"
UNSUBSCRIBE_SALT = "channels.unsubscribe"
INVITATION_MAX_AGE = 60 * 60 * 24 * 14  # an invitation link works for 14 days


def invitation_token(membership) -> str:
    return signing.dumps([membership.pk, membership.invited_email.lower()], salt=INVITATION_SALT)


def read_invitation_token(token: str) -> tuple[int, str] | None:
    try:
        membership_id, email = signing.loads(token, salt=INVITATION_SALT, max_age=INVITATION_MAX_AGE)
        return int(membership_id), str(email)
    except (signing.BadSignature, ValueError, TypeError):
        return None


def unsubscribe_token(follow) -> str:
    """Stops one follow."""
    return signing.dumps(["f", follow.pk, follow.user_id], salt=UNSUBSCRIBE_SALT)


def digest_unsubscribe_token(user) -> str:
    """Stops every follow of `user` that is delivered as a daily digest."""
    return signing.dumps(["d", user.pk], salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> dict | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        if data[0] == "f" and len(data) == 3:
            return {"kind": "follow", "follow_id": int(data[1]), "user_id": int(data[2])}
        if data[0] == "d" and len(data) == 2:
            return {"kind": "digest", "user_id": int(data[1])}
    except (signing.BadSignature, ValueError, TypeError, IndexError, KeyError):
        return None
    return None
