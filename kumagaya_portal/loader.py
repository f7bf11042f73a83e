"""Writes the city's structure (from city_data) into the database, idempotently."""

import hashlib
import json

from django.db import transaction
from django.utils.text import slugify

from archive.models import Meeting, MeetingType
from channels.models import Channel, PostingPolicy, Tier, Workspace
from kumagaya_portal.accounts.models import Department, StaffRules

from .city_data import read_city_data

B_PREFIX = "planning-"
C_PREFIX = "ws-"


def _sync(model, lookup: dict, values: dict, initial: dict | None = None):
    """get_or_create, then update only fields that differ (a re-run writes nothing).
    `initial` values are set on creation only (settings staff may change later)."""
    obj, created = model.objects.get_or_create(**lookup, defaults={**(initial or {}), **values})
    if not created:
        changed = [k for k, v in values.items() if getattr(obj, k) != v]
        if changed:
            for k in changed:
                setattr(obj, k, values[k])
            obj.save(update_fields=changed)
    return obj


def meeting_slug(m: dict) -> str:
    day = m["date"] or m["month"]
    stem = day.strftime("%Y%m%d") if m["date"] else (day.strftime("%Y%m") if day else "tbd")
    digest = hashlib.sha1(
        f"{m['title']}|{m['date']}|{m['month']}|{m['status']}".encode(), usedforsecurity=False
    ).hexdigest()[:6]
    return f"{stem}-{digest}"


def staff_rules_version(rules: dict) -> str:
    return hashlib.sha1(
        json.dumps(rules, ensure_ascii=False, sort_keys=True).encode(), usedforsecurity=False
    ).hexdigest()[:12]


@transaction.atomic
def load_city(data: dict | None = None) -> dict[str, int]:
    data = data or read_city_data()
    departments = {
        d["slug"]: _sync(Department, {"slug": d["slug"]}, {k: v for k, v in d.items() if k != "slug"})
        for d in data["departments"]
    }
    tiers = {
        t["code"]: _sync(Tier, {"code": t["code"]}, {k: v for k, v in t.items() if k != "code"}) for t in data["tiers"]
    }

    for c in data["channels"]:
        fields = {
            "tier": tiers["A"],
            "number": c["number"],
            "name_ja": c["name_ja"],
            "name_en": c["name_en"],
            "theme_ja": c["theme_ja"],
        }
        # ① announcements is staff-post-only from the start; staff may change it later.
        initial = {"posting_policy": PostingPolicy.STAFF_ONLY} if c["number"] == 1 else None
        a = _sync(Channel, {"slug": c["slug"]}, fields, initial)
        depts = [departments[s] for s in c["departments"]]
        if set(a.departments.all()) != set(depts):
            a.departments.set(depts)
        b = _sync(
            Channel,
            {"slug": B_PREFIX + c["slug"]},
            {
                "tier": tiers["B"],
                "number": c["number"],
                "name_ja": c["name_ja"],
                "name_en": c["name_en"],
                "theme_ja": c["theme_ja"],
                "linked_channel": a,
                "members_only": True,
            },
        )
        if set(b.departments.all()) != set(depts):
            b.departments.set(depts)

    for w in data["workspaces"]:
        ws = _sync(Workspace, {"slug": w["slug"]}, {"name_ja": w["name_ja"], "name_en": w["name_en"]})
        _sync(
            Channel,
            {"slug": C_PREFIX + w["slug"]},
            {
                "tier": tiers["C"],
                "name_ja": w["name_ja"],
                "name_en": w["name_en"],
                "workspace": ws,
                "members_only": True,
            },
        )

    types = {
        t["code"]: _sync(MeetingType, {"code": t["code"]}, {"name_ja": t["name_ja"], "name_en": t["name_en"]})
        for t in data["meeting_types"]
    }
    for m in data["meetings"]:
        values = {
            "title": m["title"],
            "meeting_type": types.get(m["type"]),
            "status": m["status"],
            "date": m["date"],
            "month": m["month"],
            "start_time": m["start_time"],
            "end_time": m["end_time"],
            "venue": m["venue"],
            "note": m["note"],
        }
        slug = meeting_slug(m)
        if Meeting.objects.filter(slug=slug, latest_revision__isnull=False).exists():
            continue  # edited by staff in the Wagtail admin: their version stands
        _sync(Meeting, {"slug": slug}, values)

    rules = data["staff_rules"]
    _sync(StaffRules, {"version": staff_rules_version(rules)}, rules)

    from cms.setup import ensure_site  # late import: Wagtail's tree

    ensure_wagtail_root()
    ensure_site(data["city"], data["official_sections"], data["external_tools"])
    return {
        "departments": len(departments),
        "channels": Channel.objects.count(),
        "meetings": Meeting.objects.count(),
    }


def ensure_wagtail_root() -> None:
    """Recreate what Wagtail's data migrations create (locale, root page, root collection)
    when the tables were flushed since (`manage.py flush`, transactional tests)."""
    from django.conf import settings
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Collection, Locale, Page

    Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    if not Page.objects.filter(depth=1).exists():
        Page.add_root(instance=Page(title="Root", slug="root", draft_title="Root", live=True))
    if not Collection.objects.filter(depth=1).exists():
        Collection.add_root(name="Root")


def unique_slug(text: str, taken) -> str:
    base = slugify(text, allow_unicode=False) or "item"
    slug, n = base, 2
    while taken(slug):
        slug, n = f"{base}-{n}", n + 1
    return slug
