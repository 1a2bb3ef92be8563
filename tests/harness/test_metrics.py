"""Latency by version lineage, on hand-made version logs."""

from __future__ import annotations

import numpy as np
import pytest

from backends.lineage import Version
from sim.metrics import NEVER, freshness, layer_versions, same_table, summary, visible_times

L, M, G = "DB.S.LANDING", "DB.S.MIDDLE", "DB.S.GOLD"


def v(table: str, csn: int, at: int, snapshot: int = 0, reads: tuple[str, ...] = ()) -> Version:
    return Version(table, csn, at, snapshot, reads)


# Landing commits at CSN 1 (t=10) and 3 (t=30); a task copies to MIDDLE at CSN 2 (read up to 1) and
# 4 (read up to 3, visible at 65); GOLD refreshes at CSN 5 from MIDDLE as of CSN 4, visible at 70.
LOG = [
    v(L, 1, 10), v(M, 2, 61, snapshot=1, reads=(L,)), v(L, 3, 30), v(M, 4, 65, snapshot=3, reads=(L,)),
    v(G, 5, 70, snapshot=4, reads=(M,)), v(L, 6, 80),
]


def test_watermarks_follow_what_each_version_read() -> None:
    layers = layer_versions(LOG, "landing", ["landing", "middle", "gold"])
    assert layers["landing"].watermark.tolist() == [1, 3, 6]
    assert layers["middle"].watermark.tolist() == [1, 3]
    assert layers["gold"].watermark.tolist() == [3]


@pytest.mark.parametrize(("layer", "expected"), [
    ("landing", [10, 30, 80]),
    ("middle", [61, 65, NEVER]),
    ("gold", [70, 70, NEVER]),  # gold's one version reflects landing up to CSN 3
])
def test_an_event_is_visible_from_the_first_version_that_reflects_it(layer, expected) -> None:
    layers = layer_versions(LOG, "landing", [layer])
    assert visible_times(np.array([1, 3, 6]), layers[layer]).tolist() == expected


def test_a_version_is_never_visible_before_what_it_read() -> None:
    log = [v(L, 1, 100), v(M, 2, 50, snapshot=1, reads=(L,))]  # a refresh that claims to end before its input
    assert layer_versions(log, "landing", ["middle"])["middle"].visible_at.tolist() == [100]


def test_tables_not_fed_by_the_landing_table_are_ignored() -> None:
    log = [v("DB.S.REF", 1, 5), v(L, 2, 10), v(M, 3, 20, snapshot=2, reads=("DB.S.REF", L))]
    layers = layer_versions(log, "landing", ["middle"])
    assert layers["middle"].watermark.tolist() == [2]


def test_summary_ignores_events_never_visible() -> None:
    stats = summary(np.array([1000, 2000, 3000, NEVER]))
    assert stats["events"] == 3 and stats["p50"] == 2.0 and stats["max"] == 3.0


def test_freshness_is_the_age_of_the_newest_event_shown() -> None:
    layers = layer_versions(LOG, "landing", ["gold"])
    samples, lag = freshness(layers["gold"], np.array([1, 3, 6]), np.array([5, 25, 75]), 60, 90, 10)
    assert samples.tolist() == [60, 70, 80, 90]
    assert np.isnan(lag[0]) and lag[1:].tolist() == [0.045, 0.055, 0.065]


@pytest.mark.parametrize(("qualified", "name", "same"), [
    ("DB.S.T", "t", True), ("DB.S.T", "s.t", True), ("DB.S.T", "db.s.t", True), ("DB.S.T", "other", False),
    ("DB.S.TT", "t", False),
])
def test_scenario_names_match_qualified_tables(qualified, name, same) -> None:
    assert same_table(qualified, name) is same
