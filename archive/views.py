from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from . import selectors
from .ics import calendar_for

PER_PAGE = 30


def archive_index(request):
    filters = selectors.ArchiveFilters.from_query(request.GET)
    page = Paginator(selectors.archive_rows(filters), PER_PAGE).get_page(request.GET.get("page"))
    records = selectors.hydrate(page.object_list)
    return render(
        request,
        "archive/archive_index.html",
        {
            "page_obj": page,
            "records": records,
            "filters": filters,
            "options": selectors.filter_options(request.user),
        },
    )


def record_detail(request, slug):
    record = selectors.record_by_slug(slug)
    if record is None:
        raise Http404
    channel = record.channel
    if channel is not None:
        from channels.permissions import can_view_channel

        if not can_view_channel(request.user, channel):
            channel = None
    return render(
        request,
        "archive/record_detail.html",
        {
            "record": record,
            "documents": list(record.documents.all()),
            "channel": channel,
            "report": selectors.public_report(record),
            "event_pages": _event_pages(record),
        },
    )


def _event_pages(record):
    if record.kind == "report":
        return []
    from cms.models import EventPage

    return list(EventPage.objects.live().public().filter(**{record.kind: record}).order_by("-date")[:5])


def _ics_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def meetings_ics(request):
    body = calendar_for(
        selectors.dated_records(), request.build_absolute_uri("/"), _("熊谷市の公式情報｜会議・イベント")
    )
    return _ics_response(body, "kumagaya-meetings.ics")


def record_ics(request, slug):
    record = selectors.record_by_slug(slug)
    if record is None or record.kind == "report" or record.date is None:
        raise Http404
    body = calendar_for([record], request.build_absolute_uri("/"), record.title)
    return _ics_response(body, f"{record.slug}.ics")
