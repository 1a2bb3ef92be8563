"""The virtual clock: time order, tie order, guards."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backends.clock import DEFAULT_START, VirtualClock, to_millis


def test_starts_at_a_fixed_default_and_accepts_a_start() -> None:
    assert VirtualClock().datetime() == DEFAULT_START
    assert VirtualClock("2024-03-01T12:00:00").datetime() == datetime(2024, 3, 1, 12, tzinfo=UTC)
    assert VirtualClock(0).now() == 0


def test_advance_runs_due_callbacks_in_time_then_priority_then_scheduling_order() -> None:
    clock = VirtualClock(0)
    seen: list[tuple[int, str]] = []
    clock.schedule(2000, lambda: seen.append((clock.now(), "late")))
    clock.schedule(1000, lambda: seen.append((clock.now(), "b")), priority=1)
    clock.schedule(1000, lambda: seen.append((clock.now(), "a")), priority=0)
    clock.schedule(1000, lambda: seen.append((clock.now(), "a2")), priority=0)
    clock.advance(seconds=1.5)
    assert seen == [(1000, "a"), (1000, "a2"), (1000, "b")]
    assert clock.now() == 1500
    clock.advance(seconds=1)
    assert seen[-1] == (2000, "late")


def test_callbacks_may_schedule_more_work_inside_the_window() -> None:
    clock = VirtualClock(0)
    ticks: list[int] = []

    def tick() -> None:
        ticks.append(clock.now())
        clock.schedule(clock.now() + 1000, tick)

    clock.schedule(0, tick)
    clock.run_until(3500)
    assert ticks == [0, 1000, 2000, 3000]


def test_cancelled_callbacks_do_not_run_and_peek_skips_them() -> None:
    clock = VirtualClock(0)
    handle = clock.schedule(10, lambda: pytest.fail("cancelled callback ran"))
    clock.schedule(20, lambda: None)
    handle.cancel()
    assert clock.peek() == 20
    clock.advance(milliseconds=30)


def test_time_never_goes_back() -> None:
    clock = VirtualClock(1000)
    with pytest.raises(ValueError, match="cannot go back"):
        clock.run_until(999)
    with pytest.raises(ValueError, match="past"):
        clock.schedule(999, lambda: None)


def test_a_guard_can_refuse_to_move_time() -> None:
    clock = VirtualClock(0)

    def refuse() -> None:
        raise RuntimeError("not now")

    clock.add_guard(refuse)
    with pytest.raises(RuntimeError, match="not now"):
        clock.advance(seconds=1)
    assert clock.now() == 0


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1970-01-01T00:00:01", 1000), ("1970-01-01T00:00:01+01:00", -3_599_000), (datetime(1970, 1, 1, 0, 1), 60_000),
     (5, 5)],
)
def test_to_millis(value, expected) -> None:
    assert to_millis(value) == expected


def test_wall_times_charge_each_activity_for_itself_only() -> None:
    from sim.wallclock import WallTimes

    readings = iter([0.0, 1.0, 4.0, 10.0, 10.5, 11.0])  # outer starts, inner 1-4, outer ends at 10; again 10.5-11
    wall = WallTimes(timer=lambda: next(readings))
    with wall("refresh", "GOLD"):
        with wall("refresh", "SILVER"):
            pass
    with wall("workload generation"):
        pass
    assert dict(wall.seconds) == {"refresh SILVER": 3.0, "refresh GOLD": 7.0, "workload generation": 0.5}


def test_time_cannot_move_from_inside_a_callback() -> None:
    clock = VirtualClock(0)
    refused = []

    def moves_the_clock() -> None:
        with pytest.raises(RuntimeError, match="inside a scheduled callback"):
            clock.advance(seconds=1)
        refused.append(clock.running)

    clock.schedule(1_000, moves_the_clock)
    clock.run_until(5_000)
    assert refused == [True] and not clock.running and clock.now() == 5_000
