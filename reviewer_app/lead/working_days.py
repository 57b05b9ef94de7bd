"""Working days in England and Wales: weekends and bank holidays skipped.

An immediate risk is confirmed in writing within a few *working* days of the visit (DOMAIN.md),
so the due date needs the bank holidays. They ship as data in gov.uk's own shape
(``resources/holidays/england-and-wales.json``, the ``england-and-wales`` division of
https://www.gov.uk/bank-holidays.json) because the laptop has no network on a visit. Staff can
drop in a newer gov.uk file with ``reviewer-app holidays update FILE``: it is checked, copied to
``config/holidays/england-and-wales.json`` and from then on wins over the bundled list.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path
from typing import Any

from reviewer_app.app.errors import UserError
from reviewer_app.app.paths import RESOURCES, AppPaths
from storage.files import write_atomic
from sync.working_days import SATURDAY, add_working_days, is_working_day

log = logging.getLogger(__name__)

# The arithmetic is sync.working_days' (the central service counts working days too).
__all__ = [
    "BUNDLED_HOLIDAYS",
    "SATURDAY",
    "HolidaysFileError",
    "add_working_days",
    "holiday_dates",
    "is_working_day",
    "load_holidays",
    "parse_holidays",
    "update_holidays",
    "user_holidays_path",
]

DIVISION = "england-and-wales"
HOLIDAYS_FILE = f"{DIVISION}.json"
BUNDLED_HOLIDAYS = RESOURCES / "holidays" / HOLIDAYS_FILE


class HolidaysFileError(UserError):
    """A bank holidays file that is not in gov.uk's format."""


def parse_holidays(raw: bytes | str, source: str = "the file") -> dict[str, Any]:
    """The ``england-and-wales`` division of a gov.uk bank holidays file, checked.

    Accepts the whole gov.uk file (``{"england-and-wales": {...}, "scotland": ...}``) or the
    division alone (``{"division": "england-and-wales", "events": [{"title", "date"}]}``).
    """
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HolidaysFileError(
            f"{source} is not JSON ({exc}); download it again from gov.uk/bank-holidays.json"
        ) from exc
    if isinstance(data, dict) and isinstance(data.get(DIVISION), dict):
        data = data[DIVISION]
    if not isinstance(data, dict) or data.get("division") != DIVISION:
        raise HolidaysFileError(
            f"{source} has no England and Wales bank holidays; use the file from "
            "gov.uk/bank-holidays.json"
        )
    events = data.get("events")
    if not isinstance(events, list) or not events:
        raise HolidaysFileError(f"{source} lists no bank holidays; use gov.uk/bank-holidays.json")
    for i, event in enumerate(events, start=1):
        when = event.get("date") if isinstance(event, dict) else None
        try:
            date.fromisoformat(str(when))
        except ValueError:
            raise HolidaysFileError(
                f"{source}: bank holiday {i} has no date like 2026-12-25 ({when!r}); "
                "use the file from gov.uk/bank-holidays.json"
            ) from None
        if not isinstance(event.get("title"), str):
            raise HolidaysFileError(f"{source}: bank holiday {i} ({when}) has no title")
    return data


def holiday_dates(division: dict[str, Any]) -> frozenset[date]:
    return frozenset(date.fromisoformat(str(e["date"])) for e in division["events"])


def user_holidays_path(paths: AppPaths) -> Path:
    return paths.config / "holidays" / HOLIDAYS_FILE


def load_holidays(paths: AppPaths | None = None) -> frozenset[date]:
    """The bank holidays in use: the user's updated copy if there is a good one, else bundled."""
    if paths is not None:
        mine = user_holidays_path(paths)
        if mine.exists():
            try:
                return holiday_dates(parse_holidays(mine.read_bytes(), str(mine)))
            except (OSError, HolidaysFileError) as exc:
                log.warning("holidays: %s; using the bundled list", exc)
    return holiday_dates(parse_holidays(BUNDLED_HOLIDAYS.read_bytes(), str(BUNDLED_HOLIDAYS)))


def update_holidays(paths: AppPaths, source: Path) -> tuple[Path, int, date, date]:
    """Check ``source`` and install it as this laptop's bank holidays.

    Returns (where it went, how many holidays, first, last). Written atomically: a bad or
    interrupted update leaves the previous list in use.
    """
    try:
        raw = Path(source).read_bytes()
    except FileNotFoundError:
        raise HolidaysFileError(f"there is no file {source}; check the name") from None
    division = parse_holidays(raw, str(source))
    dates = sorted(holiday_dates(division))
    target = user_holidays_path(paths)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(division, indent=2, ensure_ascii=False) + "\n"
    write_atomic(target, text.encode("utf-8"), mode=0o600)
    return target, len(dates), dates[0], dates[-1]
