"""Pen-name rules: 2–20 characters, unique regardless of case and full-/half-width
(ＡＢＣ == abc, via models.normalize_pen_name), no e-mail address or phone number inside,
no invisible or control characters, not a name the portal itself uses."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import normalize_pen_name

MIN_LENGTH = 2
MAX_LENGTH = 20
KEY_MAX_LENGTH = 40  # User.pen_name_key

# Dashes and hyphen look-alikes people put between digits (NFKC leaves most of them alone).
_DASHES = "-‐‑‒–—―−－ｰー─━﹣⁃"
_SEPARATORS = re.escape(_DASHES) + r"\s.()（）\[\]/"
# A run of digits with single separators in between: 048-524-1111, 090 1234 5678, (048)524-1111.
_DIGIT_RUN = re.compile(rf"\+?\d(?:[{_SEPARATORS}]?\d)*")
_KANJI_DIGITS = str.maketrans("〇一二三四五六七八九零", "01234567890")
_ANY_SEPARATOR = re.compile(rf"[{_SEPARATORS}_・･,，、]+")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+\s*@\s*[A-Za-z0-9\-]+(?:\s*\.\s*[A-Za-z0-9\-]+)+")
_EMAIL_WORDY = re.compile(r"[A-Za-z0-9._%+\-]+\s*[(\[]\s*at\s*[)\]]\s*[A-Za-z0-9\-]+", re.IGNORECASE)

# Names that would pass for the portal's own voice or for a placeholder it shows.
RESERVED = {
    normalize_pen_name(name)
    for name in [
        "退会したユーザー",
        "ペンネーム未設定",
        "氏名未登録",
        "市職員",
        "熊谷市",
        "熊谷市役所",
        "市役所",
        "モデレーター",
        "運営",
        "事務局",
        "管理者",
        "admin",
        "administrator",
        "moderator",
        "staff",
    ]
}


def _folded(value: str) -> str:
    """NFKC: full-width digits, letters, ＠ and spaces become their ASCII forms."""
    return unicodedata.normalize("NFKC", value)


def contains_email(value: str) -> bool:
    text = _folded(value).replace("＠", "@").replace("﹫", "@")
    # Also "taro@gmail": an @ between word characters is an address in the making.
    return bool(_EMAIL.search(text) or _EMAIL_WORDY.search(text) or re.search(r"\w\s*@\s*\w", text))


def contains_phone_number(value: str) -> bool:
    """Ten or more digits in one run (Japanese numbers have 10 or 11), or a 0-led run of 9+,
    whatever separators (hyphens of every width, spaces, dots, brackets) stand between them."""
    text = _folded(value).translate(_KANJI_DIGITS)
    # Any separators at all between digits: "090 - 1234 - 5678", "090・1234・5678", "048_524_1111".
    squeezed = _ANY_SEPARATOR.sub("", text)
    if re.search(r"\d{10,}|0\d{8,}", squeezed):
        return True
    for match in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) >= 10 or (len(digits) >= 9 and digits.startswith("0")):
            return True
    return False


def _poses_as_the_city(key: str) -> bool:
    """熊谷市職員, 市 職員, 熊谷市役所 職員 ...: a pen name must not read as the city's voice."""
    squeezed = re.sub(r"\s", "", key)
    return ("職員" in squeezed and ("市" in squeezed or "役所" in squeezed)) or "モデレーター" in squeezed


def _has_invisible_characters(value: str) -> bool:
    # Cc: control; Cf: format (zero-width, bidi overrides); Co/Cn: private use, unassigned.
    return any(unicodedata.category(ch) in {"Cc", "Cf", "Co", "Cn", "Zl", "Zp"} for ch in value)


def clean_pen_name(value: str) -> str:
    """The pen name as stored (NFC, trimmed, inner whitespace collapsed) or ValidationError."""
    name = unicodedata.normalize("NFC", value or "").strip()
    if not name:
        raise ValidationError(_("ペンネームを入力してください。"), code="required")
    if _has_invisible_characters(name):
        raise ValidationError(
            _("ペンネームに使えない文字（改行や見えない文字）が含まれています。取り除いてください。"),
            code="invisible",
        )
    name = re.sub(r"\s+", " ", name)
    if len(name) < MIN_LENGTH or len(name) > MAX_LENGTH:
        raise ValidationError(
            _("ペンネームは%(min)d文字以上%(max)d文字以内で入力してください（今は%(count)d文字です）。"),
            code="length",
            params={"min": MIN_LENGTH, "max": MAX_LENGTH, "count": len(name)},
        )
    if len(normalize_pen_name(name)) > KEY_MAX_LENGTH:
        raise ValidationError(
            _("ペンネームに、展開すると長くなる記号（㍿ など）が多く含まれています。短い文字に置き換えてください。"),
            code="length",
        )
    if contains_email(name):
        raise ValidationError(
            _("ペンネームにメールアドレスは入れられません。個人を特定できない名前にしてください。"), code="email"
        )
    if contains_phone_number(name):
        raise ValidationError(
            _("ペンネームに電話番号は入れられません。個人を特定できない名前にしてください。"), code="phone"
        )
    if normalize_pen_name(name) in RESERVED or _poses_as_the_city(normalize_pen_name(name)):
        raise ValidationError(
            _("このペンネームは運営や表示のために使われているため選べません。別のペンネームにしてください。"),
            code="reserved",
        )
    return name


def pen_name_taken(name: str, *, exclude_user=None) -> bool:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(pen_name_key=normalize_pen_name(name))
    if exclude_user is not None and exclude_user.pk:
        users = users.exclude(pk=exclude_user.pk)
    return users.exists()


TAKEN_MESSAGE = _(
    "このペンネームはすでに使われています（大文字・小文字や全角・半角の違いは同じ名前とみなします）。"
    "別のペンネームを選んでください。"
)
