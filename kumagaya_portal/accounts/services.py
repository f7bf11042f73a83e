"""Actions on accounts. Views call these; each runs in a transaction and takes the acting user."""

import logging

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import StaffRules, User
from .pen_names import TAKEN_MESSAGE, clean_pen_name, pen_name_taken

log = logging.getLogger(__name__)


@transaction.atomic
def do_set_pen_name(*, actor: User, pen_name: str) -> User:
    """Choose or change the pen name. Nothing remembers the old one: no redirect, no history;
    every post of the author shows the new name from now on."""
    name = clean_pen_name(pen_name)
    if name == actor.pen_name:
        return actor
    if pen_name_taken(name, exclude_user=actor):
        raise ValidationError(TAKEN_MESSAGE, code="taken")
    actor.pen_name = name
    try:
        with transaction.atomic():
            actor.save(update_fields=["pen_name", "pen_name_key"])
    except IntegrityError as exc:  # taken between the check and the write
        raise ValidationError(TAKEN_MESSAGE, code="taken") from exc
    return actor


@transaction.atomic
def do_accept_guidelines(*, actor: User, version: str | None = None) -> User:
    actor.guidelines_version = version or settings.GUIDELINES_VERSION
    actor.save(update_fields=["guidelines_version"])
    return actor


@transaction.atomic
def do_confirm_staff_rules(*, actor: User, rules: StaffRules) -> User:
    """City staff confirm the staff rules in force (once per version) before their first post."""
    if not actor.is_city_staff:
        raise PermissionDenied
    actor.staff_rules_version = rules.version
    actor.save(update_fields=["staff_rules_version"])
    return actor


@transaction.atomic
def do_update_profile(*, actor: User, real_name: str, organisation: str) -> User:
    """A changed real name must be verified again by staff before B/C posting."""
    real_name, organisation = real_name.strip(), organisation.strip()
    fields = []
    if real_name != actor.real_name:
        actor.real_name = real_name
        fields.append("real_name")
        if actor.real_name_verified:
            actor.real_name_verified = False
            fields.append("real_name_verified")
    if organisation != actor.organisation:
        actor.organisation = organisation
        fields.append("organisation")
    if fields:
        actor.save(update_fields=fields)
    return actor


def deleted_email(user: User) -> str:
    return f"deleted-{user.pk}@invalid"


@transaction.atomic
def do_delete_account(*, actor: User) -> User:
    """Leave the portal. Posts stay (shown as 退会したユーザー by channels.identity); personal data
    is erased; the account can no longer log in; memberships, follows and sessions end."""
    user = User.objects.select_for_update().get(pk=actor.pk)
    _end_channel_ties(user)
    user.email = deleted_email(user)
    user.pen_name = ""
    user.real_name = ""
    user.organisation = ""
    user.first_name = ""
    user.last_name = ""
    user.department = None
    user.real_name_verified = False
    user.is_city_staff = False
    user.is_staff = False
    user.is_superuser = False
    user.is_active = False
    user.is_deleted = True
    user.deleted_at = timezone.now()
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()

    from allauth.account.models import EmailAddress

    EmailAddress.objects.filter(user=user).delete()
    _delete_sessions(user)
    log.info("account deleted", extra={"user_id": user.pk})
    return user


def _end_channel_ties(user: User) -> None:
    """Leave every channel and stop every follow through channels.services (its rules, its tasks)."""
    if not apps.is_installed("channels"):
        return
    from guardian.models import UserObjectPermission

    from channels import services as channel_services
    from channels.models import Membership

    for membership in Membership.objects.filter(user=user, state=Membership.State.ACTIVE).select_related("channel"):
        channel_services.do_leave(actor=user, channel=membership.channel)
    pending = [Membership.State.INVITED, Membership.State.REQUESTED]
    Membership.objects.filter(user=user, state__in=pending).update(state=Membership.State.LEFT, invited_email="")
    if hasattr(channel_services, "do_unfollow") and hasattr(user, "follows"):
        for follow in list(user.follows.all()):
            channel_services.do_unfollow(actor=user, follow=follow)
    UserObjectPermission.objects.filter(user=user).delete()


def _delete_sessions(user: User) -> None:
    """Sessions of this user in the database session store. (Other stores: the unusable password
    changes the session hash and is_active=False refuses the user, so they end too.)"""
    if settings.SESSION_ENGINE not in (
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    ):
        return
    from django.contrib.sessions.models import Session

    uid = str(user.pk)
    doomed = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=500):
        if session.get_decoded().get("_auth_user_id") == uid:
            doomed.append(session.session_key)
    if doomed:
        Session.objects.filter(session_key__in=doomed).delete()
        if settings.SESSION_ENGINE.endswith("cached_db"):
            from django.contrib.sessions.backends.cached_db import KEY_PREFIX
            from django.core.cache import caches

            caches[settings.SESSION_CACHE_ALIAS].delete_many([KEY_PREFIX + key for key in doomed])


@transaction.atomic
def do_set_real_name_verified(*, actor: User, user: User, verified: bool) -> User:
    """City staff confirm (or withdraw) that `user`'s real name is theirs: needed to post in B and C."""
    from channels.permissions import is_city_staff

    if not is_city_staff(actor):
        raise PermissionDenied
    user = User.objects.select_for_update().get(pk=user.pk)
    if verified and not user.real_name:
        raise ValidationError(_("氏名が登録されていないため、実名確認できません。"), code="no_real_name")
    if user.real_name_verified != verified:
        user.real_name_verified = verified
        user.save(update_fields=["real_name_verified"])
        log.info("real name verification changed", extra={"user_id": user.pk, "by": actor.pk, "verified": verified})
    return user
