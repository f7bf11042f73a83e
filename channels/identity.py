"""The one function that decides how an author is shown in a channel.

Every template (via the `author_in` tag), feed, notification and e-mail calls
`display_author`. In tier A it returns the pen name and nothing else that could
lead back to the person.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from .models import Channel, Tier


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
