"""Personal-data and NG-word detection. Pure functions: text in, findings out.

Text is normalised with NFKC first, so full-width digits (０９０), the full-width
hyphen (－), ＠ and half-width katakana become their plain forms. The hyphen class
then covers every dash a Japanese writer may type between digits.
"""

import re
import unicodedata
from dataclasses import dataclass

# After NFKC: - ‐ ‑ ‒ – — ― − ー (ｰ becomes ー, － becomes -), and the wave dash family.
HYPHENS = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\u2043\ufe63"
SEP = rf"[{HYPHENS}\s.()]"

_PHONE = re.compile(
    rf"""
    (?<![\dA-Za-z+])                              # not inside a longer number or word
    (?:
        \(?\+\s?81\)?[{HYPHENS}\s]*(?:\(0\)[{HYPHENS}\s]*)?\d{{1,4}}   # +81 90 / +81-(0)48
      | \(?0\d{{0,4}}\)?                                          # 090 / (048) / 0120
    )
    (?:{SEP}{{0,2}}\d{{1,5}}){{1,3}}
    (?!\d)
    """,
    re.VERBOSE,
)
_EMAIL = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)
_MY_NUMBER = re.compile(rf"(?<![\d,])\d{{4}}{SEP}?\d{{4}}{SEP}?\d{{4}}(?![\d,])")
_POSTAL_MARKED = re.compile(rf"〒\s*\d{{3}}{SEP}?\d{{4}}(?!\d)")
_PREFECTURE = "(?:東京都|北海道|(?:京都|大阪)府|[\u4e00-\u9fff]{2,3}県)"
_POSTAL_WITH_ADDRESS = re.compile(
    rf"(?<![\d{HYPHENS}])\d{{3}}[{HYPHENS}]\d{{4}}(?![\d{HYPHENS}])\s*(?:{_PREFECTURE}|[\u4e00-\u9fff\u30a0-\u30ff]{{1,8}}?[市区町村郡])"
)


@dataclass(frozen=True)
class Finding:
    kind: str  # phone / email / my_number / postal_address
    text: str


KIND_LABELS = {
    "phone": "電話番号",
    "email": "メールアドレス",
    "my_number": "マイナンバー（12桁の番号）",
    "postal_address": "郵便番号と住所",
}


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


def _is_phone(candidate: str) -> bool:
    groups = re.findall(r"\d+", candidate)
    if "+" in candidate.split(groups[0], 1)[0] and groups[0].startswith("81"):
        rest = groups[0][2:]
        groups = ([rest] if rest else []) + groups[1:]
        if groups and groups[0] == "0":
            groups = groups[1:]
        if not groups:
            return False
        groups[0] = "0" + groups[0]
    # A phone number may be followed by other digits in the same run: try each prefix.
    for k in range(len(groups), 0, -1):
        digits = "".join(groups[:k])
        if _valid_jp_number(digits):
            return True
    return False


def _valid_jp_number(digits: str) -> bool:
    if not digits.startswith("0") or digits[1:2] == "0":
        return False
    if len(digits) == 10:
        return True
    return len(digits) == 11 and (digits[:3] in {"050", "060", "070", "080", "090"} or digits[:4] == "0800")


def find_personal_data(text: str) -> list[Finding]:
    """Every likely piece of personal data in `text` (phone, e-mail, 12-digit number, postal address)."""
    norm = normalise(text)
    found: list[Finding] = []
    for m in _EMAIL.finditer(norm):
        found.append(Finding("email", m.group()))
    for m in _MY_NUMBER.finditer(norm):
        found.append(Finding("my_number", m.group()))
    for m in _POSTAL_MARKED.finditer(norm):
        found.append(Finding("postal_address", m.group()))
    for m in _POSTAL_WITH_ADDRESS.finditer(norm):
        found.append(Finding("postal_address", m.group()))
    for m in _PHONE.finditer(norm):
        if _is_phone(m.group()):
            found.append(Finding("phone", m.group()))
    return found


def ng_key(word: str) -> str:
    """Comparison key for NG words and the text searched: NFKC, case-folded, no spaces."""
    return re.sub(r"\s+", "", normalise(word).casefold())


def find_ng_words(text: str, keys) -> list[str]:
    haystack = ng_key(text)
    return [k for k in keys if k and k in haystack]
