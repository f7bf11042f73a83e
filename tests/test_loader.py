import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from archive.models import Meeting, MeetingType
from channels.models import Channel, Tier, Workspace
from cms.models import HomePage, SectionPage
from kumagaya_portal.accounts.models import Department, StaffRules
from kumagaya_portal.city_data import DATA_FILE, CityDataError, parse_city_data
from kumagaya_portal.loader import load_city


def snapshot():
    return {
        "departments": list(Department.objects.values_list("slug", "name_ja").order_by("slug")),
        "channels": list(
            Channel.objects.values_list("slug", "tier_id", "number", "linked_channel__slug", "posting_policy").order_by(
                "slug"
            )
        ),
        "meetings": list(Meeting.objects.values_list("slug", "title", "date", "month", "start_time").order_by("slug")),
        "pages": list(SectionPage.objects.values_list("slug", "title").order_by("slug")),
        "rules": StaffRules.objects.count(),
    }


def test_counts_equal_the_file(city):
    assert Department.objects.count() == 6
    assert Tier.objects.count() == 3
    a = Channel.objects.filter(tier_id="A")
    b = Channel.objects.filter(tier_id="B")
    assert a.count() == 7 and b.count() == 7
    for ch in b:
        assert ch.linked_channel.tier_id == "A" and ch.linked_channel.name_ja == ch.name_ja
    assert Workspace.objects.count() == 2
    assert Channel.objects.filter(tier_id="C", workspace__isnull=False).count() == 2
    assert MeetingType.objects.count() == 4
    assert Meeting.objects.count() == 13
    assert HomePage.objects.count() == 1 and SectionPage.objects.count() == 5
    assert Channel.objects.get(number=1, tier_id="A").posting_policy == "staff_only"
    assert set(Channel.objects.get(slug="smart-cool-city").departments.values_list("slug", flat=True)) == {
        "environmental-policy",
        "policy-research",
    }
    assert StaffRules.current().disclaimer_ja == "個人の意見であり市役所を代表するものではありません。"


def test_undecided_dates_stay_undecided(city):
    gsm2 = Meeting.objects.get(title="グリーンスローモビリティ勉強会②")
    assert gsm2.date is None and gsm2.month == dt.date(2024, 11, 1) and gsm2.start_time is None
    tablo = Meeting.objects.get(title="タブローカフェ・公開版")
    assert tablo.date is None and tablo.month is None
    assert Meeting.objects.filter(date__isnull=True).count() == 3


def test_second_run_changes_nothing(city):
    before = snapshot()
    load_city()
    call_command("load_kumagaya", verbosity=0)
    assert snapshot() == before


def test_second_run_keeps_staff_edits(city):
    ch = Channel.objects.get(number=1, tier_id="A")
    ch.posting_policy = "open"
    ch.save()
    load_city()
    ch.refresh_from_db()
    assert ch.posting_policy == "open"


@pytest.mark.parametrize(
    "breakage, place",
    [
        ('departments = ["policy-research"]\n', "channels["),
        ('status = "held"\n', "meetings["),
        ('date = "2024-10-22"', "meetings[1].date"),
    ],
)
def test_broken_file_loads_nothing(db, tmp_path, breakage, place):
    text = DATA_FILE.read_text(encoding="utf-8")
    if breakage.startswith("departments"):
        bad = text.replace('departments = ["commerce-tourism", "city-planning"]', 'departments = ["no-such-division"]')
    elif breakage.startswith("status"):
        bad = text.replace(breakage, 'status = "cancelled"\n', 1)
    else:
        bad = text.replace(breakage, 'date = "2024-10-32"', 1)
    before = {
        "channels": Channel.objects.count(),
        "meetings": Meeting.objects.count(),
        "departments": Department.objects.count(),
    }
    path = tmp_path / "broken.toml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("load_kumagaya", file=str(path), verbosity=0)
    assert place in str(exc.value)
    assert Channel.objects.count() == before["channels"] and Meeting.objects.count() == before["meetings"]
    assert Department.objects.count() == before["departments"]


def test_invalid_toml_names_the_line():
    with pytest.raises(CityDataError) as exc:
        parse_city_data("[city\nname_ja = 1")
    assert "line 1" in str(exc.value)


def counts():
    from wagtail.models import Page

    return {
        "departments": Department.objects.count(),
        "tiers": Tier.objects.count(),
        "channels": Channel.objects.count(),
        "workspaces": Workspace.objects.count(),
        "meeting_types": MeetingType.objects.count(),
        "meetings": Meeting.objects.count(),
        "rules": StaffRules.objects.count(),
        "pages": Page.objects.count(),
    }


@pytest.fixture
def empty_database(transactional_db):
    """A really empty database (no test transaction around it): partial writes would stay visible."""
    call_command("flush", interactive=False, verbosity=0)
    assert counts()["channels"] == 0 and counts()["departments"] == 0


@pytest.mark.parametrize(
    "original, broken, place",
    [
        ('departments = ["commerce-tourism", "city-planning"]', 'departments = ["no-such-division"]', "channels["),
        ('date = "2024-10-22"', 'date = "2024-10-32"', "meetings[1].date"),
    ],
)
def test_broken_file_loads_nothing_into_an_empty_database(empty_database, tmp_path, original, broken, place):
    before = counts()
    path = tmp_path / "broken.toml"
    path.write_text(DATA_FILE.read_text(encoding="utf-8").replace(original, broken, 1), encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("load_kumagaya", file=str(path), verbosity=0)
    assert place in str(exc.value)
    assert counts() == before


def test_failure_after_rows_were_written_rolls_everything_back(empty_database, monkeypatch):
    """The file is fine but the last step (the Wagtail pages) fails after departments, channels,
    meetings and rules were written: one transaction, so nothing stays."""
    import cms.setup

    written = {}

    def fail(*args, **kwargs):
        written.update(counts())
        raise RuntimeError("disk full while creating pages")

    monkeypatch.setattr(cms.setup, "ensure_site", fail)
    before = counts()
    with pytest.raises(RuntimeError):
        load_city()
    assert written["channels"] == 16 and written["meetings"] == 13 and written["departments"] == 6
    assert counts() == before


def test_load_into_an_empty_database_then_again(empty_database):
    """`load_kumagaya` on a flushed database recreates Wagtail's root too; a second run changes nothing."""
    call_command("load_kumagaya", verbosity=0)
    first = snapshot()
    assert len(first["channels"]) == 16 and HomePage.objects.count() == 1
    call_command("load_kumagaya", verbosity=0)
    assert snapshot() == first
