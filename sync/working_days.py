"""Working days: Monday to Friday, less any holidays given.

The pure arithmetic, shared by the lead's app (an immediate risk's written confirmation is due a
few working days after the visit, England and Wales bank holidays skipped:
``reviewer_app.lead.working_days`` adds the holiday list) and the central service (each step
after a visit is due so many working days after its end: ``sync.server.lifecycle``).
"""

from __future__ import annotations

from collections.abc import Set
from datetime import date, timedelta

SATURDAY = 5
NO_HOLIDAYS: frozenset[date] = frozenset()


def add_working_days(start: date, n: int, holidays: Set[date] = NO_HOLIDAYS) -> date:
    """The date ``n`` working days after ``start`` (``start`` itself is not counted).

    Saturdays, Sundays and ``holidays`` are not working days. ``n == 0`` gives ``start``.
    """
    if n < 0:
        raise ValueError(f"the number of working days cannot be negative ({n})")
    day, left = start, n
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < SATURDAY and day not in holidays:
            left -= 1
    return day


def is_working_day(day: date, holidays: Set[date] = NO_HOLIDAYS) -> bool:
    return day.weekday() < SATURDAY and day not in holidays
