"""Extension points other apps register into (so channels never imports them).

moderation registers its automatic holds here from its AppConfig.ready():

    from channels.hooks import register_post_check
    register_post_check(check)   # check(author, channel, body) -> Hold | None

`channels.services` runs every check before a post is published; the first
hold found makes the post `pending`, stores the hold's reason, and is passed
to `after_hold` callbacks (moderation writes its audit row and queue item).
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Hold:
    code: str  # e.g. "new_account", "personal_data", "ng_word"
    message: str  # shown to the author: why the post waits, what to do


PostCheck = Callable[..., Hold | None]
post_checks: list[PostCheck] = []
after_hold: list[Callable] = []  # fn(post, hold)


def register_post_check(fn: PostCheck) -> PostCheck:
    if fn not in post_checks:
        post_checks.append(fn)
    return fn


def register_after_hold(fn: Callable) -> Callable:
    if fn not in after_hold:
        after_hold.append(fn)
    return fn


# moderation (M): fn(post) when the author's edit of a held (pending) post passes every check.
after_clean_edit: list[Callable] = []


def register_after_clean_edit(fn: Callable) -> Callable:
    if fn not in after_clean_edit:
        after_clean_edit.append(fn)
    return fn


def first_hold(author, channel, body: str) -> Hold | None:
    for check in post_checks:
        hold = check(author=author, channel=channel, body=body)
        if hold:
            return hold
    return None
