"""The PostgreSQL CDC workload: Debezium events a source could have emitted, and a short run end to end."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from sim.scenario import CdcMix
from sim.workloads.postgres_cdc_feed import KINDS, SCHEMA, PostgresCdcFeed

from .feeds import feed_events, short_run

START = 1_741_014_000_000  # 2025-03-03T15:00Z
NEXT_STATUS = {"PENDING": {"PAID", "CANCELLED"}, "PAID": {"SHIPPED", "CANCELLED"}, "SHIPPED": {"DELIVERED"}}


def _events(feed: PostgresCdcFeed, batches: int = 150, per_batch: int = 60) -> list[dict]:
    return feed_events(feed, SCHEMA, START, batches, per_batch)


@pytest.fixture(scope="module")
def events() -> list[dict]:
    return _events(PostgresCdcFeed(seed=5))


def test_events_replay_into_a_consistent_source(events) -> None:
    """Each update's and deletion's before image is the row as the last event left it; orders only
    reference existing customers, and a customer is deleted only without orders."""
    assert [e["event_id"] for e in events] == list(range(1, len(events) + 1))
    rows: dict[tuple[str, int], dict] = {}
    orders_of: Counter = Counter()
    for event in events:
        op, table, before, after = event["operation"], event["table_name"], event["before"], event["after"]
        assert (before is None, after is None) == {"c": (True, False), "u": (False, False), "d": (False, True)}[op]
        key = (table, (after or before)["order_id" if table == "orders" else "customer_id"])
        if op == "c":
            assert key not in rows
            if table == "orders":
                assert ("customers", after["customer_id"]) in rows
                orders_of[after["customer_id"]] += 1
        else:
            assert rows.get(key) == before
        if op == "d":
            del rows[key]
            if table == "orders":
                orders_of[before["customer_id"]] -= 1
            else:
                assert orders_of[before["customer_id"]] == 0
        else:
            rows[key] = after
        assert event["ts_ms"] >= START
        assert (after or before)["updated_at"] <= str(np.datetime64(event["ts_ms"], "ms")).replace("T", " ")


def test_changes_follow_the_order_lifecycle_and_customers_change_email_or_name(events) -> None:
    statuses, corrected, customer_changes = Counter(), 0, Counter()
    for event in (e for e in events if e["operation"] == "u"):
        before, after = event["before"], event["after"]
        if event["table_name"] == "orders":
            if before["status"] in NEXT_STATUS:
                assert after["status"] in NEXT_STATUS[before["status"]] and after["amount"] == before["amount"]
                statuses[after["status"]] += 1
            else:  # a finished order: its amount is corrected downwards
                assert after["status"] == before["status"] and after["amount"] <= before["amount"]
                corrected += 1
        else:
            changed = tuple(f for f in ("email", "name") if before[f] != after[f])
            customer_changes[changed] += 1
            assert after["updated_at"] > before["updated_at"] and after["created_at"] == before["created_at"]
    assert set(statuses) == {"PAID", "SHIPPED", "DELIVERED", "CANCELLED"} and corrected > 0
    assert customer_changes.keys() == {("email",), ("name",), ()}  # a touch changes only updated_at


def test_the_mix_sets_the_shares_of_changes(events) -> None:
    feed = PostgresCdcFeed(seed=5)
    _events(feed)
    counts = feed.counts
    total = sum(counts.values())
    for kind, share in CdcMix().model_dump().items():  # early events become new customers until rows exist
        expected = share + (0.02 if kind == "new_customer" else 0)
        assert counts[kind] / total == pytest.approx(expected, abs=0.03), kind
    assert set(counts) == set(KINDS)


def test_the_same_seed_gives_the_same_events() -> None:
    assert _events(PostgresCdcFeed(seed=2), 20) == _events(PostgresCdcFeed(seed=2), 20)
    assert _events(PostgresCdcFeed(seed=2), 20) != _events(PostgresCdcFeed(seed=3), 20)


def test_a_cdc_run_lands_every_event_once_and_reaches_customer_metrics(tmp_path) -> None:
    files, classic = short_run(tmp_path, "postgres_cdc_streaming.yaml", "postgres_cdc/pipeline.sql", "3 min",
                               [{"name": "files", "ingestion": "snowpipe", "rotate_every": "30s"},
                                {"name": "classic", "ingestion": "streaming_classic", "clients": 2}])
    for variant in (files, classic):
        assert variant["conserved"] and variant["events"] > 2000
        assert all(count == 0 for count in variant["not_visible"].values())
    assert classic["latency"]["customer_metrics"]["p50"] < files["latency"]["customer_metrics"]["p50"]
