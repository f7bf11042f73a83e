"""Japanese-aware text folding, character n-grams and highlighting.

Folding (the same for documents and queries):
  NFKC (ﾜｰｸｼｮｯﾌﾟ → ワークショップ, ＡＢＣ → ABC, full-width space → space),
  casefold, katakana → hiragana (ワークショップ and わーくしょっぷ match).
Index terms: every character (for one-character queries) and every pair of
neighbouring characters (bigrams) within a run of letters/digits — a Japanese
word such as 市民 or 交通 is found inside any sentence, with no dictionary.
"""

import re
import unicodedata

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Sound marks that compose with the preceding kana under NFKC: keep them with their base.
_MARKS = {"\uff9e", "\uff9f", "\u3099", "\u309a", "\u309b", "\u309c"}
MAX_QUERY_TERMS = 8
MAX_TERM_LENGTH = 40


def _fold_chunk(chunk: str) -> str:
    out = []
    for ch in unicodedata.normalize("NFKC", chunk).casefold():
        code = ord(ch)
        if 0x30A1 <= code <= 0x30F6:  # katakana ァ..ヶ → hiragana ぁ..ゖ
            ch = chr(code - 0x60)
        out.append(ch)
    return "".join(out)


def fold_with_spans(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The folded text, and for each folded character the [start, end) span it came from."""
    folded: list[str] = []
    spans: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and text[j] in _MARKS:
            j += 1
        for ch in _fold_chunk(text[i:j]):
            folded.append(ch)
            spans.append((i, j))
        i = j
    return "".join(folded), spans


def fold(text: str) -> str:
    return fold_with_spans(text or "")[0]


def _is_word_char(ch: str) -> bool:
    return ch.isalnum()


def runs(folded: str) -> list[str]:
    """Maximal runs of letters/digits (kanji, kana, ー and 々 count as letters)."""
    out, current = [], []
    for ch in folded:
        if _is_word_char(ch):
            current.append(ch)
        elif current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return out


def grams_of_run(run: str) -> set[str]:
    grams = set(run)
    grams.update(run[i : i + 2] for i in range(len(run) - 1))
    return grams


def document_grams(folded: str) -> list[str]:
    grams: set[str] = set()
    for run in runs(folded):
        grams |= grams_of_run(run)
    return sorted(grams)


def query_terms(q: str) -> list[str]:
    """Folded search terms: whitespace separates terms (all must match)."""
    terms = []
    for part in fold(q or "").split():
        part = part.strip()[:MAX_TERM_LENGTH]
        if part and runs(part) and part not in terms:
            terms.append(part)
    return terms[:MAX_QUERY_TERMS]


def query_grams(terms: list[str]) -> list[str]:
    """The grams a matching document must contain: the bigrams of each term (its character if alone)."""
    grams: set[str] = set()
    for term in terms:
        for run in runs(term):
            grams |= {run} if len(run) == 1 else {run[i : i + 2] for i in range(len(run) - 1)}
    return sorted(grams)


def _match_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    folded, spans = fold_with_spans(text)
    found = []
    for term in terms:
        for m in re.finditer(re.escape(term), folded):
            if m.end() > m.start():
                found.append((spans[m.start()][0], spans[m.end() - 1][1]))
    found.sort()
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, terms: list[str], width: int | None = None) -> SafeString:
    """Escape first, then wrap each match in <mark>. With `width`, an excerpt around the first match."""
    text = text or ""
    spans = _match_spans(text, terms) if terms else []
    lo, hi = 0, len(text)
    if width is not None and len(text) > width:
        first = spans[0][0] if spans else 0
        lo = max(0, first - width // 3)
        hi = min(len(text), lo + width)
        lo = max(0, min(lo, hi - width))
    out, pos = [], lo
    for start, end in spans:
        if end <= lo or start >= hi:
            continue
        start, end = max(start, lo), min(end, hi)
        out.append(escape(text[pos:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        pos = end
    out.append(escape(text[pos:hi]))
    prefix = "…" if lo > 0 else ""
    suffix = "…" if hi < len(text) else ""
    return mark_safe(prefix + "".join(out) + suffix)  # noqa: S308 - every piece is escaped above
