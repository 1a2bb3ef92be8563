"""The retail demo: the feed's behaviour, its reference data in REFERENCE_DATA.*, and a short run end to end."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from sim.scenario import CustomerSegment, RetailReference
from sim.workloads.retail_feed import SCHEMA, RetailFeed

from .feeds import feed_events, short_run

ROOT = Path(__file__).resolve().parents[2]
START = 1_732_456_800_000  # 2024-11-24T14:00Z


def _events(feed: RetailFeed, seconds: int = 120, per_second: int = 40) -> list[dict]:
    return feed_events(feed, SCHEMA, START, seconds, per_second, batch_ms=1000)


@pytest.fixture(scope="module")
def events() -> list[dict]:
    return _events(RetailFeed(seed=5))


def test_event_ids_are_gap_free_and_each_new_customer_has_a_profile_first(events) -> None:
    assert [e["event_id"] for e in events] == list(range(1, len(events) + 1))
    seen: set[str] = set()
    for event in events:
        if event["event_type"] == "customer":
            assert event["customer_id"] not in seen
            seen.add(event["customer_id"])
        else:
            assert event["customer_id"] in seen, "a purchase before its customer's profile"


def test_segments_and_repeat_customers_follow_the_reference(events) -> None:
    profiles = [e["event"] for e in events if e["event_type"] == "customer"]
    purchases = [e for e in events if e["event_type"] == "purchase"]
    shares = Counter(p["segment"] for p in profiles)
    assert shares["premium"] / len(profiles) == pytest.approx(0.15, abs=0.03)
    assert shares["regular"] / len(profiles) == pytest.approx(0.60, abs=0.04)
    assert len(profiles) / len(purchases) == pytest.approx(0.30, abs=0.03)  # 70 % of purchases are repeat
    segment = {p["customer_id"]: p["segment"] for p in profiles}
    spend = {name: np.mean([e["event"]["final_total"] for e in purchases if segment[e["customer_id"]] == name])
             for name in ("premium", "regular", "occasional")}
    assert spend["premium"] > spend["regular"] > spend["occasional"]


def test_the_same_customer_always_has_the_same_attributes() -> None:
    first, second = RetailFeed(seed=9), RetailFeed(seed=9)
    a = {e["customer_id"]: e["event"] for e in _events(first, 20) if e["event_type"] == "customer"}
    b = {e["customer_id"]: e["event"] for e in _events(second, 40, 10) if e["event_type"] == "customer"}
    common = set(a) & set(b)
    assert len(common) > 50 and all(a[c] == b[c] for c in common)


def test_categories_peak_in_their_months() -> None:
    reference = RetailReference()
    november = RetailFeed(seed=1, reference=reference)._categories(
        np.full(20000, START), np.random.default_rng(0).random(20000)
    )
    names = [c.name for c in reference.product_categories]
    share = Counter(names[i] for i in november)
    assert share["electronics"] > share["apparel"]  # electronics peaks in November, apparel does not


def test_segment_shares_must_sum_to_one() -> None:
    with pytest.raises(ValueError, match="customer_segments shares must sum to 1"):
        RetailReference(customer_segments=[CustomerSegment(name="x", share=0.5, avg_order_value=1, purchase_frequency=1,
                                                           price_sensitivity=0)])


def test_a_retail_run_loads_reference_data_and_reaches_gold(tmp_path) -> None:
    (variant,) = short_run(tmp_path, "retail_streaming.yaml", "retail/pipeline.sql", "3 min",
                           [{"name": "classic", "ingestion": "streaming_classic", "clients": 2}])
    assert variant["conserved"] and variant["events"] > 1000
    assert all(count == 0 for count in variant["not_visible"].values())
    assert variant["latency"]["GOLD.FCT_SALES"]["p50"] <= variant["latency"]["GOLD.DIM_CUSTOMERS"]["p50"]


def test_reference_data_is_loaded_into_its_tables() -> None:
    from backends import duckdb as local
    from sim import run
    from sim.scenario import load

    loaded = load(ROOT / "scenarios" / "retail_streaming.yaml")
    conn = local.connect()
    run._set_up(conn, loaded, run.make_feed(loaded.scenario))
    cur = conn.cursor()
    assert cur.execute(
        "SELECT SEGMENT_NAME, SHARE FROM REFERENCE_DATA.CUSTOMER_SEGMENTS ORDER BY SHARE"
    ).fetchall() == [("premium", 0.15), ("occasional", 0.25), ("regular", 0.6)]
    assert cur.execute("SELECT PEAK_MONTHS FROM REFERENCE_DATA.PRODUCT_CATEGORIES WHERE CATEGORY_NAME = 'toys_games'"
                       ).fetchall() == [("[11, 12]",)]
    assert cur.execute("SELECT PARAMETER_VALUE FROM REFERENCE_DATA.GENERATION_PARAMETERS").fetchall() == [("0.7",)]
    conn.close()
