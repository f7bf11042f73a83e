from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from channels.identity import display_author

from .models import SearchDocument
from .selectors import SearchQuery, search_page
from .text import highlight

EXCERPT = 120
Kind = SearchDocument.Kind
# Every result carries its range marker (docs/DESIGN.md: the reader always knows which range).
RANGE_MARKERS = {
    Kind.PAGE: _("熊谷市の公式情報"),
    Kind.ARCHIVE: _("熊谷市の公式情報（アーカイブ）"),
    Kind.POST: _("Webコモンスペース（参加者の発言です）"),
}


def _result(doc: SearchDocument, query: SearchQuery, request) -> dict:
    """What one result shows: a title, a link, an excerpt (escaped, then <mark>ed), and for posts the author."""
    item = {"kind": doc.kind, "kind_label": RANGE_MARKERS[doc.kind], "date": doc.date, "author": None}
    if doc.kind == Kind.PAGE:
        item.update(url=doc.page.get_url(request), title=doc.title, text=doc.body, where="")
    elif doc.kind == Kind.ARCHIVE:
        record = doc.meeting or doc.workshop or doc.report
        item.update(url=record.get_absolute_url(), title=doc.title, text=doc.body, where=record.kind_label)
    else:
        thread, channel = doc.thread, doc.thread.channel
        url = reverse("channels:thread", args=[channel.slug, thread.pk])
        if doc.post_id:
            post = doc.post
            url += f"#post-{post.pk}"
            text = post.body
            item["author"] = display_author(post.author, channel, as_staff=post.author_was_staff)
        else:
            text = ""
        item.update(url=url, title=thread.title, text=text, where=channel.display_name)
    item["title_html"] = highlight(item["title"], query.terms)
    item["excerpt_html"] = highlight(item["text"], query.terms, width=EXCERPT) if item["text"] else ""
    return item


def search(request):
    query = SearchQuery.from_params(request.GET)
    number = request.GET.get("page", "1")
    page = search_page(request.user, query, int(number) if number.isdigit() else 1)
    items = [_result(doc, query, request) for doc in page.documents]
    return render(
        request, "search/search.html", {"query": query, "page_obj": page, "items": items, "kinds": Kind.choices}
    )
