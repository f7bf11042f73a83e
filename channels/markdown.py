"""User Markdown → safe HTML: markdown-it-py (raw HTML off), then nh3 with an allowlist.

A subset: paragraphs, line breaks kept as typed (breaks), lists, links, quotes,
code, emphasis. Images and headings are off (a heading would break the page
outline; "# 見出し" stays as typed). Rendered once, on save, into Post.body_html.
"""

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False}).disable(
    ["image", "heading", "lheading"]
)

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
