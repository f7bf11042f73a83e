"""Reads and checks data/kumagaya.toml, the city's real structure.

`load_city_data` parses and validates everything before anything is written:
a malformed file raises `CityDataError` naming the place (e.g. `channels[3].departments`).
"""

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).resolve().parent / "data" / "kumagaya.toml"


class CityDataError(ValueError):
    pass


@dataclass
class _Reader:
    data: dict
    path: str

    def tables(self, key: str) -> list["_Reader"]:
        value = self.data.get(key)
        where = f"{self.path}{key}"
        if not isinstance(value, list) or not value:
            raise CityDataError(f"{where}: expected a non-empty list of tables")
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise CityDataError(f"{where}[{i}]: expected a table")
            out.append(_Reader(item, f"{where}[{i}]."))
        return out

    def table(self, key: str) -> "_Reader":
        value = self.data.get(key)
        if not isinstance(value, dict):
            raise CityDataError(f"{self.path}{key}: expected a table")
        return _Reader(value, f"{self.path}{key}.")

    def text(self, key: str, required: bool = True, default: str = "") -> str:
        value = self.data.get(key, None)
        if value is None:
            if required:
                raise CityDataError(f"{self.path}{key}: missing")
            return default
        if not isinstance(value, str):
            raise CityDataError(f"{self.path}{key}: expected text, got {type(value).__name__}")
        if required and not value.strip():
            raise CityDataError(f"{self.path}{key}: must not be empty")
        return value.strip()

    def integer(self, key: str, required: bool = True) -> int | None:
        value = self.data.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise CityDataError(f"{self.path}{key}: expected a whole number")
        return value

    def flag(self, key: str) -> bool:
        value = self.data.get(key, False)
        if not isinstance(value, bool):
            raise CityDataError(f"{self.path}{key}: expected true or false")
        return value

    def strings(self, key: str, required: bool = False) -> list[str]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise CityDataError(f"{self.path}{key}: expected a list of text")
        if required and not value:
            raise CityDataError(f"{self.path}{key}: must not be empty")
        return value

    def date(self, key: str) -> dt.date | None:
        raw = self.text(key, required=False)
        if not raw:
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise CityDataError(f"{self.path}{key}: '{raw}' is not a date (YYYY-MM-DD)") from None

    def month(self, key: str) -> dt.date | None:
        raw = self.text(key, required=False)
        if not raw:
            return None
        try:
            return dt.date.fromisoformat(raw + "-01")
        except ValueError:
            raise CityDataError(f"{self.path}{key}: '{raw}' is not a month (YYYY-MM)") from None

    def time(self, key: str) -> dt.time | None:
        raw = self.text(key, required=False)
        if not raw:
            return None
        try:
            return dt.time.fromisoformat(raw)
        except ValueError:
            raise CityDataError(f"{self.path}{key}: '{raw}' is not a time (HH:MM)") from None


def _unique(items: list[dict], key: str, where: str) -> None:
    seen = set()
    for i, item in enumerate(items):
        if item[key] in seen:
            raise CityDataError(f"{where}[{i}].{key}: '{item[key]}' appears twice")
        seen.add(item[key])


def parse_city_data(text: str) -> dict[str, Any]:
    """Parse and validate; returns plain dicts ready for the loader."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CityDataError(f"kumagaya.toml is not valid TOML: {exc}") from None
    root = _Reader(raw, "")

    departments = [
        {
            "slug": d.text("slug"),
            "name_ja": d.text("name_ja"),
            "name_en": d.text("name_en", required=False),
            "parent_ja": d.text("parent_ja", required=False),
            "escalation_contact": d.flag("escalation_contact"),
        }
        for d in root.tables("departments")
    ]
    _unique(departments, "slug", "departments")
    dept_slugs = {d["slug"] for d in departments}

    tiers = [
        {
            "code": t.text("code"),
            "name_ja": t.text("name_ja"),
            "name_en": t.text("name_en", required=False),
            "who_may_join": t.text("who_may_join", required=False),
            "identity": t.text("identity", required=False),
        }
        for t in root.tables("tiers")
    ]
    if sorted(t["code"] for t in tiers) != ["A", "B", "C"]:
        raise CityDataError("tiers: expected exactly the codes A, B and C")

    channels = []
    for c in root.tables("channels"):
        depts = c.strings("departments", required=True)
        for d in depts:
            if d not in dept_slugs:
                raise CityDataError(f"{c.path}departments: unknown department '{d}'")
        channels.append(
            {
                "number": c.integer("number"),
                "slug": c.text("slug"),
                "name_ja": c.text("name_ja"),
                "name_en": c.text("name_en", required=False),
                "theme_ja": c.text("theme_ja", required=False),
                "departments": depts,
            }
        )
    _unique(channels, "slug", "channels")
    _unique(channels, "number", "channels")

    workspaces = [
        {"slug": w.text("slug"), "name_ja": w.text("name_ja"), "name_en": w.text("name_en", required=False)}
        for w in root.tables("workspaces")
    ]
    _unique(workspaces, "slug", "workspaces")

    meeting_types = [
        {"code": m.integer("code"), "name_ja": m.text("name_ja"), "name_en": m.text("name_en", required=False)}
        for m in root.tables("meeting_types")
    ]
    _unique(meeting_types, "code", "meeting_types")
    type_codes = {m["code"] for m in meeting_types}

    meetings = []
    for m in root.tables("meetings"):
        status = m.text("status")
        if status not in {"held", "planned", "considering"}:
            raise CityDataError(f"{m.path}status: '{status}' is not one of held, planned, considering")
        type_code = m.integer("type", required=False)
        if type_code is not None and type_code not in type_codes:
            raise CityDataError(f"{m.path}type: unknown meeting type {type_code}")
        date = m.date("date")
        meetings.append(
            {
                "title": m.text("title_ja"),
                "type": type_code,
                "status": status,
                "date": date,
                "month": None if date else m.month("month"),
                "start_time": m.time("start"),
                "end_time": m.time("end"),
                "venue": m.text("venue_ja", required=False),
                "note": m.text("note_ja", required=False),
            }
        )

    sections = [
        {
            "slug": s.text("slug"),
            "name_ja": s.text("name_ja"),
            "name_en": s.text("name_en", required=False),
            "note": s.text("note", required=False),
        }
        for s in root.tables("official_sections")
    ]
    _unique(sections, "slug", "official_sections")

    rules = root.table("staff_rules")
    staff_rules = {
        "disclaimer_ja": rules.text("disclaimer_ja"),
        "disclaimer_en": rules.text("disclaimer_en", required=False),
        "not_official_ja": rules.text("not_official_ja"),
        "rules_ja": rules.strings("rules_ja", required=True),
    }

    external_tools = [
        {"name_ja": t.text("name_ja"), "purpose_en": t.text("purpose_en", required=False)}
        for t in root.tables("external_tools")
    ]
    city = root.table("city")
    return {
        "city": {k: city.text(k) for k in ("name_ja", "name_en", "space_ja", "space_en")},
        "departments": departments,
        "tiers": tiers,
        "channels": channels,
        "workspaces": workspaces,
        "meeting_types": meeting_types,
        "meetings": meetings,
        "official_sections": sections,
        "staff_rules": staff_rules,
        "external_tools": external_tools,
    }


def read_city_data(path: Path = DATA_FILE) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CityDataError(f"{path}: cannot be read ({exc.strerror})") from None
    return parse_city_data(text)
