from __future__ import annotations

import pytest

from storage.hlc import HybridClock, format_hlc, parse_hlc


class FakeWall:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def test_values_are_fixed_width_so_string_order_is_clock_order() -> None:
    assert format_hlc(5, 7) == "000000000000005.000007"
    assert format_hlc(10, 0) > format_hlc(9, 999_999)
    assert parse_hlc("000000000000005.000007") == (5, 7)


def test_tick_follows_the_wall_clock_when_it_moves_forward() -> None:
    wall = FakeWall(1_000)
    clock = HybridClock(None, wall)
    assert clock.last is None
    assert clock.tick() == format_hlc(1_000, 0)
    wall.ms = 2_000
    assert clock.tick() == format_hlc(2_000, 0)


def test_tick_never_goes_backwards_when_the_wall_clock_does() -> None:
    wall = FakeWall(5_000)
    clock = HybridClock(None, wall)
    seen = [clock.tick() for _ in range(3)]
    wall.ms = 1_000  # someone set the laptop's clock back
    seen += [clock.tick() for _ in range(3)]
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    assert seen[-1] == format_hlc(5_000, 5)


def test_restarting_from_the_stored_value_keeps_going_forward() -> None:
    stored = format_hlc(9_000, 3)
    clock = HybridClock(stored, FakeWall(100))
    assert clock.tick() > stored


def test_observe_moves_past_a_remote_value_from_the_future() -> None:
    clock = HybridClock(None, FakeWall(1_000))
    remote = format_hlc(50_000, 42)
    clock.observe(remote)
    assert clock.tick() > remote
    clock.observe(format_hlc(10, 0))  # an older remote value changes nothing
    assert clock.tick() == format_hlc(50_000, 44)


def test_counter_overflow_borrows_the_next_millisecond() -> None:
    clock = HybridClock(format_hlc(7, 999_999), FakeWall(7))
    assert clock.tick() == format_hlc(8, 0)


@pytest.mark.parametrize("bad", ["", "12.3", "000000000000005-000007", "abc"])
def test_malformed_values_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not an HLC"):
        parse_hlc(bad)
