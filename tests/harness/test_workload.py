"""The booking change feed and the arrival process: deterministic, vectorised, consistent."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc
import pytest

from sim.workloads.booking_feed import SCHEMA, BookingFeed
from sim.workloads.rates import arrivals

START = 1_736_150_400_000  # 2025-01-06T08:00Z


def _feed_tables(seed: int, seconds: int = 60, per_second: int = 50, **options):
    feed = BookingFeed(seed=seed, **options)
    return feed, [
        feed.batch(np.sort(np.random.default_rng(i).integers(START + i * 1000, START + (i + 1) * 1000, per_second)))
        for i in range(seconds)
    ]


def test_the_same_seed_gives_the_same_events() -> None:
    _, first = _feed_tables(3)
    _, again = _feed_tables(3)
    _, other = _feed_tables(4)
    assert all(a.equals(b) for a, b in zip(first, again, strict=True))
    assert not all(a.equals(b) for a, b in zip(first, other, strict=True))


def test_events_have_the_landing_schema_and_gap_free_ids() -> None:
    feed, tables = _feed_tables(1)
    ids = np.concatenate([t["event_id"].to_numpy() for t in tables])
    assert all(t.schema == SCHEMA for t in tables)
    assert ids.tolist() == list(range(1, feed.events + 1))


def test_changes_and_deletions_only_touch_live_bookings() -> None:
    _, tables = _feed_tables(2, seconds=120)
    live: set[str] = set()
    for table in tables:
        for op, booking in zip(table["op"].to_pylist(), table["booking_id"].to_pylist(), strict=True):
            if op == "I":
                assert booking not in live
                live.add(booking)
            else:
                assert booking in live, f"{op} of {booking}, which does not exist"
                if op == "D":
                    live.remove(booking)


def test_the_mix_and_the_invalid_share_hold_roughly() -> None:
    feed, tables = _feed_tables(5, seconds=200, invalid_share=0.1)
    total = sum(feed.counts.values())
    assert feed.counts["I"] / total == pytest.approx(0.6, abs=0.03)
    assert feed.counts["U"] / total == pytest.approx(0.3, abs=0.03)
    inserts = [t.filter(pc.equal(t["op"], "I")) for t in tables]
    flawed = sum(pc.sum(pc.or_(pc.or_(pc.is_null(t["customer_id"]), pc.less(t["ticket_count"], 1)),
                               pc.less(t["ticket_price"], 0))).as_py() or 0 for t in inserts)
    # three of the four flaws are visible in the row itself (the fourth is a future booking date)
    assert flawed / feed.counts["I"] == pytest.approx(0.075, abs=0.02)


def test_arrivals_follow_the_rate_and_the_daily_profile() -> None:
    rng = np.random.default_rng(0)
    hour = 3_600_000
    midnight = START - 8 * hour
    quiet = arrivals(rng, midnight + 3 * hour, midnight + 4 * hour, 10.0, [12], 3.0)
    busy = arrivals(rng, midnight + 12 * hour, midnight + 13 * hour, 10.0, [12], 3.0)
    assert len(quiet) == pytest.approx(36_000, rel=0.03) and len(busy) == pytest.approx(108_000, rel=0.03)
    assert (np.diff(busy) >= 0).all() and busy.min() >= midnight + 12 * hour and busy.max() < midnight + 13 * hour
