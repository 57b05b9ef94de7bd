"""Working days after a visit, with weekends and England and Wales bank holidays skipped, and the
bundled holiday list that staff can update."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from reviewer_app.app.paths import AppPaths
from reviewer_app.lead.working_days import (
    BUNDLED_HOLIDAYS,
    HolidaysFileError,
    add_working_days,
    load_holidays,
    parse_holidays,
    update_holidays,
)

HOLIDAYS = load_holidays()


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (date(2026, 12, 1), 2, date(2026, 12, 3)),  # Tuesday -> Thursday
        (date(2026, 12, 3), 2, date(2026, 12, 7)),  # Thursday -> over the weekend -> Monday
        (date(2026, 12, 4), 1, date(2026, 12, 7)),  # Friday -> Monday
        (date(2026, 12, 5), 1, date(2026, 12, 7)),  # a Saturday visit -> Monday
        (date(2026, 12, 23), 2, date(2026, 12, 29)),  # Christmas Fri, Boxing Day substitute Mon
        (date(2027, 12, 23), 2, date(2027, 12, 29)),  # Fri 24, then Mon 27 and Tue 28 substituted
        (date(2026, 4, 2), 1, date(2026, 4, 7)),  # Good Friday and Easter Monday
        (date(2028, 12, 29), 1, date(2029, 1, 2)),  # Friday -> New Year's Day Monday -> Tuesday
        (date(2027, 12, 31), 1, date(2028, 1, 4)),  # New Year's Day on Saturday: Monday 3rd off
        (date(2026, 5, 22), 1, date(2026, 5, 26)),  # Spring bank holiday
        (date(2026, 8, 28), 1, date(2026, 9, 1)),  # Summer bank holiday 31 August
        (date(2026, 12, 3), 0, date(2026, 12, 3)),
    ],
)
def test_add_working_days(start: date, n: int, due: date) -> None:
    assert add_working_days(start, n, HOLIDAYS) == due


def test_no_holidays_means_only_weekends_are_skipped() -> None:
    assert add_working_days(date(2026, 12, 24), 2, set()) == date(2026, 12, 28)
    with pytest.raises(ValueError):
        add_working_days(date(2026, 12, 24), -1, set())


def test_the_bundled_list_covers_2024_to_2030_with_eight_a_year() -> None:
    years = sorted({d.year for d in HOLIDAYS})
    assert years == list(range(2024, 2031))
    for year in years:
        assert sum(1 for d in HOLIDAYS if d.year == year) == 8
    assert all(d.weekday() < 5 for d in HOLIDAYS)  # substitute days are in the list


def gov_uk_file(tmp_path: Path, extra: str) -> Path:
    """A file in gov.uk's whole shape: every division, England and Wales with one extra day."""
    division = json.loads(BUNDLED_HOLIDAYS.read_text(encoding="utf-8"))
    division["events"].append({"title": "Extra bank holiday", "date": extra, "notes": ""})
    scotland = {"division": "scotland", "events": [{"title": "St Andrew", "date": "2026-11-30"}]}
    path = tmp_path / "bank-holidays.json"
    path.write_text(json.dumps({DIV: division, "scotland": scotland}), encoding="utf-8")
    return path


DIV = "england-and-wales"


def test_an_updated_list_wins_over_the_bundled_one(tmp_path: Path) -> None:
    paths = AppPaths.from_environment()
    assert add_working_days(date(2026, 12, 3), 1, load_holidays(paths)) == date(2026, 12, 4)
    target, count, first, last = update_holidays(paths, gov_uk_file(tmp_path, "2026-12-04"))
    assert target.is_relative_to(paths.config) and count == 57
    assert (first, last) == (date(2024, 1, 1), date(2030, 12, 26))
    assert add_working_days(date(2026, 12, 3), 1, load_holidays(paths)) == date(2026, 12, 7)


def test_a_bad_updated_copy_falls_back_to_the_bundled_list(tmp_path: Path) -> None:
    paths = AppPaths.from_environment()
    update_holidays(paths, gov_uk_file(tmp_path, "2026-12-04"))
    (paths.config / "holidays" / f"{DIV}.json").write_text("{ broken", encoding="utf-8")
    assert load_holidays(paths) == HOLIDAYS


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("not json", "is not JSON"),
        ('{"scotland": {"division": "scotland", "events": []}}', "no England and Wales"),
        ('{"division": "england-and-wales", "events": []}', "lists no bank holidays"),
        (
            '{"division": "england-and-wales", "events": [{"title": "x", "date": "25/12/2026"}]}',
            "no date like",
        ),
    ],
)
def test_bad_files_are_refused_with_a_sentence(content: str, says: str) -> None:
    with pytest.raises(HolidaysFileError, match=says):
        parse_holidays(content, "holidays.json")


def test_the_cli_updates_the_list_and_refuses_a_bad_file(tmp_path: Path, app_home: Path) -> None:
    good = gov_uk_file(tmp_path, "2026-12-04")
    run = subprocess.run(
        [sys.executable, "-m", "reviewer_app", "holidays", "update", str(good)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "57 bank holidays" in run.stdout
    assert (app_home / "config" / "holidays" / f"{DIV}.json").exists()
    bad = tmp_path / "bad.json"
    bad.write_text("[]", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "reviewer_app", "holidays", "update", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "England and Wales" in run.stderr
    assert "Traceback" not in run.stderr
