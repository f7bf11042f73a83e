"""Queries the archive pages, feeds and calendars need (fixed query counts, no N+1).

Only `Model.objects.public()` records (published and public) ever leave here.
"""

from dataclasses import dataclass, field

from django.db.models import CharField, DateField, F, Prefetch, Q, TimeField, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from kumagaya_portal.accounts.models import Department

from .models import (
    Meeting,
    MeetingDocument,
    MeetingType,
    Report,
    ReportDocument,
    Status,
    Workshop,
    WorkshopDocument,
)

KINDS = {"meeting": Meeting, "workshop": Workshop, "report": Report}
DOCUMENT_MODELS = {"meeting": MeetingDocument, "workshop": WorkshopDocument, "report": ReportDocument}


@dataclass
class ArchiveFilters:
    kind: str = ""
    type: int | None = None
    fy: int | None = None
    status: str = ""
    department: str = ""
    channel: str = ""
    active: dict = field(default_factory=dict)

    @classmethod
    def from_query(cls, params) -> "ArchiveFilters":
        """Unknown or malformed values are ignored (the list is shown unfiltered for that field)."""
        f = cls()
        kind = params.get("kind", "")
        if kind in KINDS:
            f.kind = kind
        for name in ("type", "fy"):
            raw = params.get(name, "")
            if raw.isdigit() and len(raw) <= 4:
                setattr(f, name, int(raw))
        status = params.get("status", "")
        if status in Status.values:
            f.status = status
        for name in ("department", "channel"):
            raw = params.get(name, "")
            if raw and len(raw) <= 80 and raw.replace("-", "").replace("_", "").isalnum():
                setattr(f, name, raw)
        f.active = {
            k: v
            for k, v in {
                "kind": f.kind,
                "type": f.type,
                "fy": f.fy,
                "status": f.status,
                "department": f.department,
                "channel": f.channel,
            }.items()
            if v
        }
        return f


def _part(kind: str, f: ArchiveFilters):
    model = KINDS[kind]
    if f.kind and f.kind != kind:
        return None
    qs = model.objects.public()
    if kind == "report":
        if f.status or f.type:
            return None  # reports have neither a status nor a meeting type
        day, time = F("published_on"), Value(None, output_field=TimeField())
    else:
        if f.status:
            qs = qs.filter(status=f.status)
        if f.type:
            if kind != "meeting":
                return None
            qs = qs.filter(meeting_type__code=f.type)
        day, time = Coalesce("date", "month", output_field=DateField()), F("start_time")
    if f.fy:
        qs = qs.filter(fiscal_year=f.fy)
    if f.department:
        qs = qs.filter(department__slug=f.department)
    if f.channel:
        qs = qs.filter(channel__slug=f.channel)
    return (
        qs.order_by()
        .annotate(k=Value(kind, output_field=CharField()), sort_day=day, sort_time=time)
        .values_list("k", "pk", "sort_day", "sort_time")
    )


def archive_rows(f: ArchiveFilters):
    """(kind, pk, day, time) rows of every matching public record, newest first, undecided last.
    One SQL statement (a UNION), so pagination counts and slices in the database."""
    parts = [p for p in (_part(kind, f) for kind in KINDS) if p is not None]
    if not parts:
        return Meeting.objects.none().values_list("pk")
    qs = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return qs.order_by(F("sort_day").desc(nulls_last=True), F("sort_time").desc(nulls_last=True), "k", F("pk").desc())


def _with_relations(kind: str):
    model = KINDS[kind]
    related = ["department", "channel"] + (["meeting_type"] if kind == "meeting" else [])
    return model.objects.select_related(*related)


def hydrate(rows) -> list:
    """Turn (kind, pk, ...) rows into records with their relations: at most one query per kind."""
    wanted: dict[str, list[int]] = {}
    for row in rows:
        wanted.setdefault(row[0], []).append(row[1])
    fetched = {kind: _with_relations(kind).in_bulk(ids) for kind, ids in wanted.items()}
    return [fetched[row[0]][row[1]] for row in rows if row[1] in fetched[row[0]]]


def filter_options(user) -> dict:
    from channels.models import Channel
    from channels.permissions import visible_channels

    years = (
        Meeting.objects.public()
        .exclude(fiscal_year=None)
        .order_by()
        .values_list("fiscal_year")
        .union(
            Workshop.objects.public().exclude(fiscal_year=None).order_by().values_list("fiscal_year"),
            Report.objects.public().exclude(fiscal_year=None).order_by().values_list("fiscal_year"),
        )
        .order_by("-fiscal_year")
    )
    used = (
        Q(pk__in=Meeting.objects.public().exclude(channel=None).values("channel"))
        | Q(pk__in=Workshop.objects.public().exclude(channel=None).values("channel"))
        | Q(pk__in=Report.objects.public().exclude(channel=None).values("channel"))
    )
    channels = Channel.objects.filter(used, pk__in=visible_channels(user).values("pk")).order_by(
        "tier_id", "number", "id"
    )
    return {
        "fiscal_years": sorted({y for (y,) in years}, reverse=True),
        "meeting_types": list(MeetingType.objects.all()),
        "departments": list(Department.objects.all()),
        "channels": list(channels),
        "statuses": Status.choices,
        "kinds": [(k, KINDS[k]._meta.verbose_name) for k in KINDS],
    }


def record_by_slug(slug: str):
    """The public record at /archive/<slug>/, with its documents; None if missing or not public."""
    for kind, model in KINDS.items():
        related = ["department", "channel", "channel__tier"]
        if kind == "meeting":
            related.append("meeting_type")
        if kind != "report":
            related.append("report")
        record = (
            model.objects.public()
            .select_related(*related)
            .prefetch_related(Prefetch("documents", queryset=DOCUMENT_MODELS[kind].objects.select_related("document")))
            .filter(slug=slug)
            .first()
        )
        if record is not None:
            return record
    return None


def public_report(record):
    """The record's report if it is public and published (else None)."""
    report = getattr(record, "report", None)
    if report is not None and report.is_public and report.live:
        return report
    return None


def upcoming_records(limit: int = 5) -> list:
    """Dated meetings and workshops from today (Asia/Tokyo) on, soonest first."""
    today = timezone.localdate()
    found = []
    for model, related in ((Meeting, ["meeting_type", "department"]), (Workshop, ["department"])):
        found += list(
            model.objects.public()
            .filter(date__gte=today)
            .exclude(status=Status.CONSIDERING)
            .select_related(*related)
            .order_by("date", F("start_time").asc(nulls_first=True), "id")[:limit]
        )
    found.sort(key=lambda r: (r.date, r.start_time is not None, r.start_time, r.pk))
    return found[:limit]


def dated_records() -> list:
    """Every public meeting and workshop with a fixed date (for the iCalendar feed)."""
    out = []
    for model in (Meeting, Workshop):
        out += list(
            model.objects.public().exclude(date=None).select_related("department").order_by("date", "start_time", "id")
        )
    out.sort(key=lambda r: (r.date, r.start_time is not None, r.start_time, r.pk))
    return out


def feed_records(limit: int = 50) -> list:
    """Newest public records for the archive feeds (same order as the list)."""
    rows = list(archive_rows(ArchiveFilters())[:limit])
    return hydrate(rows)
