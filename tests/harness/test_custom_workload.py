"""The custom workload: a change feed declared in the scenario, its validation, and what it generates."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from pydantic import ValidationError

from sim.scenario import CustomWorkloadSpec
from sim.workloads import FEEDS, feed_schema
from sim.workloads.custom_feed import CustomFeed
from tests.harness.feeds import feed_events

START = 1_736_150_400_000  # 2025-01-06 08:00 UTC
COLUMNS = [
    {"name": "customer", "type": "VARCHAR", "faker": "name"},
    {"name": "status", "type": "VARCHAR", "values": {"PLACED": 6, "PAID": 3, "SHIPPED": 1}},
    {"name": "amount", "type": "NUMBER(10, 2)", "uniform": [5, 500], "null_share": 0.2},
    {"name": "quantity", "type": "INT", "uniform": [1, 4]},
    {"name": "score", "type": "FLOAT", "normal": {"mean": 10, "sd": 2}},
    {"name": "gift", "type": "BOOLEAN", "values": [True, False]},
    {"name": "ordered_at", "type": "TIMESTAMP_NTZ", "before": "2h"},
    {"name": "due", "type": "DATE", "before": "3 days"},
]


def spec(**changes) -> CustomWorkloadSpec:
    data = {"kind": "custom", "rate": 10, "key": {"column": "order_id", "keys": 2_000, "prefix": "ORD-"},
            "columns": COLUMNS, "updates": ["status", "amount"]}
    return CustomWorkloadSpec.model_validate({**data, **changes})


def events(workload: CustomWorkloadSpec, batches: int = 30, per_batch: int = 500, seed: int = 4) -> list[dict]:
    return feed_events(FEEDS["custom"](seed, workload), feed_schema(workload), START, batches, per_batch)


@pytest.mark.parametrize(("column", "expected"), [
    ({"name": "n", "type": "NUMBER", "faker": "name"}, "column n: faker makes VARCHAR values, not NUMBER"),
    ({"name": "n", "type": "VARCHAR", "faker": "nam"}, "Faker has no provider 'nam'"),
    ({"name": "n", "type": "VARCHAR", "faker": "_weighting"}, "Faker has no provider '_weighting'"),
    ({"name": "n", "type": "VARCHAR", "faker": "name", "values": ["a"]}, "exactly one of faker, values, uniform, "
                                                                          "normal or before, got faker and values"),
    ({"name": "n", "type": "VARCHAR"}, "give exactly one of faker, values, uniform, normal or before"),
    ({"name": "n", "type": "TIMESTAMP_TZ", "before": "1h"}, "type 'TIMESTAMP_TZ' is not one a custom workload "
                                                            "generates"),
    ({"name": "n", "type": "NUMBER(38, 2)", "uniform": [0, 1]}, "a generated decimal has a precision of 1 to 18"),
    ({"name": "n", "type": "DATE", "uniform": [0, 1]}, "uniform makes NUMBER, INTEGER or FLOAT values, not DATE"),
    ({"name": "n", "type": "INT", "uniform": [5, 1]}, "uniform needs [min, max] with min <= max"),
    ({"name": "n", "type": "INT", "values": ["x", 2]}, "values ['x', 2] are not all INT values"),
    ({"name": "n", "type": "VARCHAR", "values": {"a": 0}}, "weights >= 0 that are not all 0"),
    ({"name": "n", "type": "INT", "normal": {"mean": 1, "sd": 0}}, "greater than 0"),
    ({"name": "n-1", "type": "INT", "uniform": [0, 1]}, "should match pattern"),
])
def test_a_column_that_cannot_be_generated_is_refused_with_the_reason(column, expected) -> None:
    with pytest.raises(ValidationError, match=expected.replace("[", r"\[").replace("(", r"\(")):
        spec(columns=[column], updates=None)


@pytest.mark.parametrize(("changes", "expected"), [
    ({"columns": [*COLUMNS, {"name": "STATUS", "type": "INT", "uniform": [0, 1]}]}, "status is not"),
    ({"columns": [*COLUMNS, {"name": "source_ts", "type": "INT", "uniform": [0, 1]}]}, "source_ts is not"),
    ({"columns": [*COLUMNS, {"name": "order_id", "type": "INT", "uniform": [0, 1]}]}, "order_id is not"),
    ({"updates": ["stauts"]}, "updates: no column 'stauts'"),
    ({"key": {"column": "order_id", "type": "NUMBER", "prefix": "O"}}, "key.prefix is for VARCHAR keys"),
])
def test_names_must_be_unique_and_known(changes, expected) -> None:
    with pytest.raises(ValidationError, match=expected):
        spec(**changes)


def test_the_feed_has_the_declared_columns_in_order_and_is_the_same_for_a_seed() -> None:
    workload = spec()
    assert feed_schema(workload).names == ["event_id", "op", "order_id", "customer", "status", "amount", "quantity",
                                           "score", "gift", "ordered_at", "due", "source_ts"]
    assert events(workload, batches=3) == events(workload, batches=3)
    assert events(workload, batches=3) != events(workload, batches=3, seed=5)


def test_changes_and_deletions_touch_live_keys_and_new_rows_take_free_ones() -> None:
    live: dict[str, dict] = {}
    inserted_after_delete = 0
    deleted_ever: set[str] = set()
    for row in events(spec(key={"column": "order_id", "keys": 300, "prefix": "ORD-"})):
        key = row["order_id"]
        if row["op"] == "I":
            assert key not in live
            inserted_after_delete += key in deleted_ever
            live[key] = row
        else:
            assert key in live, f"{row['op']} of {key}, which is not live"
            if row["op"] == "D":
                assert {k: v for k, v in row.items() if k not in ("event_id", "op", "source_ts")} == \
                       {k: v for k, v in live.pop(key).items() if k not in ("event_id", "op", "source_ts")}
                deleted_ever.add(key)
            else:
                before = live[key]
                kept = ("customer", "quantity", "score", "gift", "ordered_at", "due")
                assert [row[c] for c in kept] == [before[c] for c in kept]  # only `updates` are drawn again
                live[key] = row
        assert len(live) <= 300
    assert inserted_after_delete > 0  # a full key space reuses deleted keys
    assert all(k.startswith("ORD-") and len(k) == 7 for k in live)


def test_values_follow_their_declared_distributions() -> None:
    rows = [r for r in events(spec(), batches=20) if r["op"] == "I"]
    n = len(rows)
    status = Counter(r["status"] for r in rows)
    assert abs(status["PLACED"] / n - 0.6) < 0.03 and abs(status["SHIPPED"] / n - 0.1) < 0.02
    amounts = [r["amount"] for r in rows]
    assert abs(sum(a is None for a in amounts) / n - 0.2) < 0.03
    assert all(Decimal(5) <= a <= Decimal(500) and a == a.quantize(Decimal("0.01")) for a in amounts if a is not None)
    assert {r["quantity"] for r in rows} == {1, 2, 3, 4}
    scores = np.array([r["score"] for r in rows])
    assert abs(scores.mean() - 10) < 0.2 and abs(scores.std() - 2) < 0.2
    assert {r["gift"] for r in rows} == {True, False}
    assert len({r["customer"] for r in rows}) > 500  # a pool of Faker names, not one
    for r in rows:
        assert r["source_ts"] - timedelta(hours=2) <= r["ordered_at"] <= r["source_ts"]
        assert r["source_ts"].date() - timedelta(days=3) <= r["due"] <= r["source_ts"].date()


def test_the_mix_holds_once_rows_exist() -> None:
    wide = {"column": "order_id", "keys": 100_000}  # never full: the mix is not bent by a full key space
    ops = Counter(r["op"] for r in events(spec(mix={"new": 0.5, "change": 0.3, "delete": 0.2}, key=wide))[2_000:])
    total = sum(ops.values())
    assert abs(ops["I"] / total - 0.5) < 0.03 and abs(ops["D"] / total - 0.2) < 0.03


def test_the_late_share_moves_source_times_back_by_its_delay() -> None:
    feed = CustomFeed(spec(late={"share": 0.1, "by": "5 min"}), seed=1)
    arrivals = np.arange(START, START + 10_000_000, 1_000)
    sent = feed.send_late(feed.batch(arrivals))
    shift = arrivals - np.array([int(t.timestamp() * 1000) for t in sent["source_ts"].to_pylist()]) + \
        int(datetime(1970, 1, 1).timestamp() * 1000)
    assert set(np.unique(shift)) == {0, 300_000}
    assert abs(np.count_nonzero(shift) / len(arrivals) - 0.1) < 0.02 and feed.late_events == np.count_nonzero(shift)
    assert CustomFeed(spec(), seed=1).send_late(sent) is sent  # no late share, nothing moved
