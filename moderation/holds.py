"""Automatic holds, registered into channels.hooks from ModerationConfig.ready().

Order matters (the first hold wins): personal data, then NG words, then new-account
pre-moderation, so the author is told the most useful reason.
"""

from django.conf import settings
from django.utils.translation import gettext as _

from channels.hooks import Hold
from channels.models import Post, Visibility

from . import detectors
from .models import HoldCode, NGWord


def personal_data_check(*, author, channel, body: str) -> Hold | None:
    findings = detectors.find_personal_data(body)
    if not findings:
        return None
    kinds = []
    for f in findings:
        label = _(detectors.KIND_LABELS[f.kind])
        if label not in kinds:
            kinds.append(label)
    return Hold(
        code=HoldCode.PERSONAL_DATA,
        message=_(
            "この投稿には個人情報（%(kinds)s）と思われる内容が含まれているため、公開前にモデレーターが確認します。"
            "個人情報を削除する場合は、投稿を編集してください。"
        )
        % {"kinds": "、".join(kinds)},
    )


def ng_word_check(*, author, channel, body: str) -> Hold | None:
    keys = list(NGWord.objects.values_list("key", flat=True))
    if not keys or not detectors.find_ng_words(body, keys):
        return None
    return Hold(
        code=HoldCode.NG_WORD,
        message=_(
            "この投稿には、利用ガイドラインに照らして確認が必要な語句が含まれているため、"
            "公開前にモデレーターが確認します。表現を変える場合は、投稿を編集してください。"
        ),
    )


def is_exempt_from_new_account_hold(user) -> bool:
    """Pre-moderation guards against throwaway accounts. City staff (known to the city,
    bound by the staff rules) and users whose real name staff verified are not throwaway."""
    from channels.permissions import is_global_moderator

    return bool(user.is_city_staff or user.real_name_verified or is_global_moderator(user))


def new_account_check(*, author, channel, body: str) -> Hold | None:
    needed = settings.MODERATION_NEW_ACCOUNT_POSTS
    if needed <= 0 or is_exempt_from_new_account_hold(author):
        return None
    approved = Post.objects.filter(author=author, visibility=Visibility.PUBLISHED)[:needed].count()
    if approved >= needed:
        return None
    return Hold(
        code=HoldCode.NEW_ACCOUNT,
        message=_(
            "新しく登録された方の最初の%(n)s件の投稿は、モデレーターが確認してから公開します。"
            "公開までしばらくお待ちください。"
        )
        % {"n": needed},
    )


CHECKS = [personal_data_check, ng_word_check, new_account_check]


def on_hold(post, hold) -> None:
    """channels.hooks.after_hold callback: the queue item, the audit row, the moderators' notice."""
    from . import services

    services.record_automatic_hold(post, hold)


def on_clean_edit(post) -> None:
    """channels.hooks.after_clean_edit callback: the author fixed a held post."""
    from . import services

    services.release_after_clean_edit(post)
