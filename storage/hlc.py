"""Hybrid logical clock: timestamps that order events across laptops.

An HLC value is a fixed-width string ``"<wall ms, 15 digits>.<counter, 6 digits>"``, for example
``"001700000000000.000003"``, so that comparing two values as strings compares them as clocks.
The wall part follows the system clock when it moves forward; the counter orders events within one
millisecond, and keeps the clock moving forward when the system clock stands still or goes back.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

WALL_DIGITS = 15
COUNTER_DIGITS = 6
MAX_COUNTER = 10**COUNTER_DIGITS - 1
HLC_PATTERN = re.compile(r"^\d{15}\.\d{6}$")

#: The bounds an operation's clock must keep (DESIGN.md "Team bundle", clocks): not before
#: 2000, not past 2100, and not more than a day ahead of the laptop that receives it. An op
#: outside them is held back and never moves this laptop's clock.
EARLIEST_MS = 946_684_800_000  # 2000-01-01T00:00:00Z
LATEST_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z
MAX_AHEAD_MS = 24 * 60 * 60 * 1000


def format_hlc(wall_ms: int, counter: int) -> str:
    """The fixed-width string of ``(wall_ms, counter)``."""
    if not 0 <= wall_ms < 10**WALL_DIGITS or not 0 <= counter <= MAX_COUNTER:
        raise ValueError(f"HLC out of range: wall {wall_ms} ms, counter {counter}")
    return f"{wall_ms:015d}.{counter:06d}"


def parse_hlc(value: str) -> tuple[int, int]:
    """``(wall_ms, counter)`` of an HLC string; a malformed value raises ``ValueError``."""
    if not isinstance(value, str) or not HLC_PATTERN.match(value):
        raise ValueError(f"{value!r} is not an HLC timestamp (expected 15 digits, '.', 6 digits)")
    wall, counter = value.split(".")
    return int(wall), int(counter)


def _system_ms() -> int:
    return time.time_ns() // 1_000_000


def system_ms() -> int:
    """The system clock in milliseconds since 1970 (UTC)."""
    return _system_ms()


def clock_window(now_ms: int) -> tuple[str, str]:
    """``(earliest, latest)``: an HLC string ``v`` with ``earliest <= v < latest`` is within
    the bounds (fixed-width strings compare as the clocks they write)."""
    latest = min(LATEST_MS, now_ms + MAX_AHEAD_MS + 1)
    return format_hlc(EARLIEST_MS, 0), format_hlc(max(latest, EARLIEST_MS), 0)


def clock_problem(value: str, now_ms: int) -> str | None:
    """Why an operation's clock ``value`` is beyond the bounds, for a receipt; ``None`` when it
    is within them. ``now_ms`` is the receiving laptop's clock."""
    wall, _counter = parse_hlc(value)
    if wall < EARLIEST_MS:
        return "its time is before the year 2000: the laptop that made it had a wrong clock"
    if wall >= LATEST_MS:
        return "its time is after the year 2100: the laptop that made it had a wrong clock"
    if wall > now_ms + MAX_AHEAD_MS:
        hours = (wall - now_ms) / 3_600_000
        return (
            f"its time is {hours:,.0f} hours ahead of this laptop's clock (more than 24): "
            "held back until this laptop's clock reaches it"
        )
    return None


class HybridClock:
    """A clock that never goes backwards.

    ``last`` is the newest value this clock has issued or observed (kept by the caller, e.g. in
    the workspace's ``meta`` table, so the clock survives restarts). ``now_ms`` reads the wall
    clock in milliseconds; tests pass their own.
    """

    def __init__(self, last: str | None = None, now_ms: Callable[[], int] = _system_ms) -> None:
        self._wall, self._counter = (0, -1)
        self._now_ms = now_ms
        if last is not None:
            self.observe(last)

    @property
    def last(self) -> str | None:
        """The newest value issued or observed, or ``None`` for a clock that has seen nothing."""
        if self._counter < 0:
            return None
        return format_hlc(self._wall, self._counter)

    def tick(self) -> str:
        """A new value for a local event: larger than every value issued or observed so far."""
        now = self._now_ms()
        if now > self._wall:
            self._wall, self._counter = now, 0
        elif self._counter < MAX_COUNTER:
            self._counter += 1
        else:  # a million events in one millisecond: borrow the next millisecond
            self._wall, self._counter = self._wall + 1, 0
        return format_hlc(self._wall, self._counter)

    def observe(self, remote: str) -> None:
        """Move past a value received from another laptop, so the next ``tick`` is larger.

        A value more than a day ahead of the wall clock is ignored: nothing a bundle (or a
        workspace an older app let one into) holds can push this clock out of range, so local
        editing always works."""
        wall, counter = parse_hlc(remote)
        if wall > self._now_ms() + MAX_AHEAD_MS:
            return
        self._wall, self._counter = max((self._wall, self._counter), (wall, counter))
