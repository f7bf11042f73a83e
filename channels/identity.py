"""The one function that decides how an author is shown in a channel.

Every template (via the `author_in` tag), feed, notification and e-mail calls
`display_author`. In tier A it returns the pen name and nothing else that could
lead back to the person: no real name, no e-mail, no account id.

Staff voice: every post made as city staff (Post.author_was_staff) carries the
disclaimer from the staff rules. Pages include
`channels/includes/staff_disclaimer.html`; e-mails and feeds use
`staff_disclaimer_text()`. `current_staff_rules(holder)` reads the rules once
per request (memoised on the request or user object it is given).
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .models import Channel, Tier

DEFAULT_DISCLAIMER = gettext_noop("個人の意見であり市役所を代表するものではありません。")
DEFAULT_NOT_OFFICIAL = gettext_noop(
    "この場での応答は市役所としての公式の回答・意思表明ではありません。公式の情報は市役所Webサイトをご覧ください。"
)

_RULES_MEMO = "_channels_staff_rules"
_MISSING = object()


@dataclass(frozen=True)
class AuthorDisplay:
    name: str
    organisation: str = ""
    is_staff: bool = False
    department: str = ""
    is_former_member: bool = False

    def __str__(self) -> str:
        parts = [self.name]
        if self.organisation:
            parts.append(f"（{self.organisation}）")
        return "".join(parts)


def display_author(user, channel: Channel, *, as_staff: bool | None = None) -> AuthorDisplay:
    """How `user` appears in `channel`. `as_staff` is the post's snapshot of staff voice."""
    if user is None or getattr(user, "is_deleted", False):
        return AuthorDisplay(name=_("退会したユーザー"), is_former_member=True)
    staff = user.is_city_staff if as_staff is None else as_staff
    department = user.department.name_ja if staff and user.department_id else ""
    if channel.tier_id == Tier.A:
        return AuthorDisplay(name=user.pen_name or _("ペンネーム未設定"), is_staff=staff, department=department)
    return AuthorDisplay(
        name=user.real_name or _("氏名未登録"),
        organisation="" if staff else user.organisation,
        is_staff=staff,
        department=department,
    )


def current_staff_rules(holder=None):
    """The staff rules in force (or None), read once per `holder` (a request or a user object)."""
    from kumagaya_portal.accounts.models import StaffRules

    if holder is None:
        return StaffRules.current()
    rules = getattr(holder, _RULES_MEMO, _MISSING)
    if rules is _MISSING:
        rules = StaffRules.current()
        try:
            setattr(holder, _RULES_MEMO, rules)
        except AttributeError:
            pass
    return rules


def staff_disclaimer_lines(rules=None) -> tuple[str, str]:
    """(personal-opinion line, not-official line) from the rules in force, or the defaults."""
    if rules is None:
        rules = current_staff_rules()
    if rules is None:
        return _(DEFAULT_DISCLAIMER), _(DEFAULT_NOT_OFFICIAL)
    return rules.disclaimer_ja or _(DEFAULT_DISCLAIMER), rules.not_official_ja or _(DEFAULT_NOT_OFFICIAL)


# --- staff disclaimer text (added by C2 for e-mails; C1 may extend)
def staff_disclaimer_text(rules=None) -> str:
    """The disclaimer under every staff post, plain text for e-mails and feeds: the personal-opinion
    line, the not-official line and the official site's address (C1 extended C2's version)."""
    disclaimer, not_official = staff_disclaimer_lines(rules)
    return "\n".join(line for line in (disclaimer, not_official, settings.OFFICIAL_SITE_URL) if line)
