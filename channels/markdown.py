"""User Markdown → safe HTML: markdown-it-py (raw HTML off), then nh3 with an allowlist."""

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False}).disable("image")

ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "a", "blockquote", "code", "pre", "em", "strong", "hr"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> str:
    html = _md.render(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    )
