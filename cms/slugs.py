"""ASCII slugs for Japanese titles.

Django's and Wagtail's slugify turn 「市民ワークショップを開催します」 into an empty
string (ASCII) or a Japanese path (unicode). Official URLs stay ASCII: a title
that is plain ASCII keeps its words; any other title gets `<kind>-<YYYYMMDD>`,
made unique among its siblings with `-2`, `-3`, ... No transliteration.
"""

from django.utils import timezone
from django.utils.text import slugify


def base_slug(title: str, prefix: str = "page", day=None) -> str:
    title = (title or "").strip()
    if title and title.isascii():
        ascii_slug = slugify(title, allow_unicode=False)
        if ascii_slug:
            return ascii_slug[:60]
    day = day or timezone.localdate()
    return f"{prefix}-{day:%Y%m%d}"


def is_ascii_slug(slug: str) -> bool:
    return bool(slug) and slug.isascii()


def unique_child_slug(base: str, parent, page=None) -> str:
    """`base`, or `base-2`, `base-3`, ... whichever is free under `parent`."""
    from wagtail.models import Page

    candidate, n = base, 1
    while not Page._slug_is_available(candidate, parent, page):
        n += 1
        candidate = f"{base}-{n}"
    return candidate
