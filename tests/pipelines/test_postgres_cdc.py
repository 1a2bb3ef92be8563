"""The PostgreSQL CDC pipeline (scenarios/postgres_cdc/pipeline.sql) end to end on the virtual clock.

Debezium events from the CDC feed go through a Snowpipe Streaming channel; the SCD2 history, the
current orders and the customer metrics are then checked against what the test derives from the
same events in Python, one event at a time. The reference's monitoring and data-quality queries run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from backends import duckdb as local
from backends.errors import ProgrammingError
from backends.scripts import split_with_lines
from sim.scenario import CdcMix
from sim.workloads.postgres_cdc_feed import PostgresCdcFeed
from sim.workloads.rates import arrivals

PIPELINE = Path(__file__).parents[2] / "scenarios" / "postgres_cdc" / "pipeline.sql"
START = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)
#: Many changes among few customers, so customers change several times within a task's minute.
MIX = CdcMix(new_customer=0.2, customer_change=0.3, customer_delete=0.05, new_order=0.25, order_change=0.15,
             order_delete=0.05)


def _ms(value: datetime | str | None) -> int | None:
    """Epoch ms of a TIMESTAMP_NTZ read back, or of an image's ISO text (both UTC)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return None if value is None else round(value.replace(tzinfo=UTC).timestamp() * 1000)


def _run(minutes: int, rate: float = 4.0) -> tuple[local.Connection, list[dict]]:
    """The pipeline fed `minutes` of events through one channel, then left to catch up; and the events."""
    conn = local.connect(start=START)
    cur = conn.cursor()
    for statement, _ in split_with_lines(PIPELINE.read_text()):
        cur.execute(statement)
    channel = conn.open_channel("raw_changes", "test")
    feed, rng = PostgresCdcFeed(seed=4, mix=MIX), np.random.default_rng(4)
    events: list[dict] = []
    t = conn.clock.now()
    for _ in range(minutes * 6):  # 10-second chunks, each committed when it ends
        batch = feed.batch(arrivals(rng, t, t + 10_000, rate))
        t += 10_000
        conn.clock.run_until(t)
        channel.insert_rows(batch, str(feed.events))
        events += batch.to_pylist()
    conn.clock.run_until(t + 3 * 60_000)
    return conn, events


def _expected(events: list[dict]) -> tuple[set, dict, dict]:
    """From the events alone: the SCD2 versions, the orders as they are, and the live customers' metrics."""
    versions: list[list] = []  # [customer_id, email, name, valid_from, valid_to]
    current: dict[int, int] = {}
    orders: dict[int, dict] = {}
    for event in sorted(events, key=lambda e: e["event_id"]):
        image = event["after"] or event["before"]
        if event["table_name"] == "orders":
            if event["operation"] == "d":
                orders.pop(image["order_id"])
            else:
                orders[image["order_id"]] = image
            continue
        customer, at, opened = image["customer_id"], event["ts_ms"], current.get(image["customer_id"])
        unchanged = opened is not None and versions[opened][1:3] == [image["email"], image["name"]]
        if event["operation"] != "d" and unchanged:
            continue  # only updated_at changed: no new version
        if opened is not None:
            versions[opened][4] = at
            del current[customer]
        if event["operation"] != "d":
            current[customer] = len(versions)
            versions.append([customer, image["email"], image["name"], at, None])
    metrics = {}
    for customer, index in current.items():
        held = [o for o in orders.values() if o["customer_id"] == customer]
        metrics[customer] = (versions[index][2], versions[index][1], len(held),
                             sum(Decimal(str(o["amount"])) for o in held) if held else None,
                             max((_ms(o["created_at"]) for o in held), default=None))
    return {tuple(v) for v in versions}, orders, metrics


@pytest.fixture(scope="module")
def pipeline() -> tuple[local.Connection, list[dict]]:
    conn, events = _run(minutes=8)
    yield conn, events
    conn.close()


def test_the_scd2_history_has_a_version_per_change_of_email_or_name(pipeline) -> None:
    conn, events = pipeline
    versions, _, _ = _expected(events)
    rows = conn.cursor().execute(
        "SELECT customer_id, email, name, valid_from, valid_to, is_current FROM customers_scd").fetchall()
    assert {(c, e, n, _ms(f), _ms(t)) for c, e, n, f, t, _ in rows} == versions
    assert all(current == (valid_to is None) for *_, valid_to, current in rows)
    assert len(rows) == len(versions)  # no version twice
    # The feed's mix makes this a real test: versions opened and closed within one task run, and deletions.
    assert any(t is not None and t - f < 60_000 for _, _, _, f, t in versions)
    assert sum(e["operation"] == "d" and e["table_name"] == "customers" for e in events) > 5


def test_orders_hold_each_orders_last_state_and_deletions_are_applied(pipeline) -> None:
    conn, events = pipeline
    _, orders, _ = _expected(events)
    rows = conn.cursor().execute(
        "SELECT order_id, customer_id, amount, status, created_at, updated_at FROM orders").fetchall()
    assert {r[0]: (r[1], r[2], r[3], _ms(r[4]), _ms(r[5])) for r in rows} == {
        order_id: (o["customer_id"], Decimal(str(o["amount"])).quantize(Decimal("0.01")), o["status"],
                   _ms(o["created_at"]), _ms(o["updated_at"])) for order_id, o in orders.items()}


def test_customer_metrics_are_current_customers_with_their_orders(pipeline) -> None:
    conn, events = pipeline
    _, _, metrics = _expected(events)
    rows = conn.cursor().execute(
        "SELECT customer_id, name, email, total_orders, total_spent, last_order_date FROM customer_metrics").fetchall()
    assert {r[0]: (r[1], r[2], r[3], r[4], _ms(r[5])) for r in rows} == metrics
    assert any(m[2] > 1 for m in metrics.values()) and any(m[2] == 0 for m in metrics.values())


# The reference's monitoring and data-quality queries, as printed.
REFERENCE_QUERIES = [
    "SELECT\n    name,\n    state,\n    scheduled_time,\n    completed_time,\n"
    "    DATEDIFF('second', scheduled_time, completed_time) as execution_seconds,\n    error_code,\n    error_message\n"
    "FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY())\nWHERE scheduled_time >= DATEADD('hour', -1, CURRENT_TIMESTAMP())\n"
    "ORDER BY scheduled_time DESC",
    "SELECT\n    customer_id,\n    COUNT(*) as record_count\nFROM customers_scd\nWHERE is_current = TRUE\n"
    "GROUP BY customer_id\nHAVING COUNT(*) > 1",
]
# Printed in the reference, refused by Snowflake: SYSTEM$STREAM_GET_TABLE_TIMESTAMP returns a NUMBER
# (epoch nanoseconds), which DATEDIFF does not take; a window function in HAVING.
REFERENCE_MISTAKES = [
    ("SELECT\n    'raw_changes_stream' as stream_name,\n"
     "    SYSTEM$STREAM_GET_TABLE_TIMESTAMP('raw_changes_stream') as stream_timestamp,\n"
     "    CURRENT_TIMESTAMP() as current_timestamp,\n"
     "    DATEDIFF('second', stream_timestamp, CURRENT_TIMESTAMP()) as lag_seconds\nFROM dual",
     "Invalid argument types for function 'DATEDIFF'"),
    ("SELECT\n    customer_id,\n    valid_from,\n    valid_to,\n"
     "    LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) as next_valid_from\n"
     "FROM customers_scd\nWHERE valid_to IS NOT NULL\nHAVING valid_to != next_valid_from",
     "Window function appears outside of SELECT, QUALIFY, and ORDER BY"),
]


@pytest.mark.parametrize("sql", REFERENCE_QUERIES, ids=lambda s: " ".join(s.split())[:60])
def test_reference_monitoring_queries_run(pipeline, sql) -> None:
    cur = pipeline[0].cursor()
    rows = cur.execute(sql).fetchall()
    assert cur.description is not None
    if "HAVING COUNT(*) > 1" in sql:
        assert rows == []  # no customer has two current versions


@pytest.mark.parametrize(("sql", "error"), REFERENCE_MISTAKES, ids=lambda s: " ".join(str(s).split())[:60])
def test_reference_mistakes_get_an_error(pipeline, sql, error) -> None:
    with pytest.raises(ProgrammingError, match=error):
        pipeline[0].cursor().execute(sql)


def test_the_history_has_no_gaps_between_versions_of_a_live_customer(pipeline) -> None:
    """The reference's gap check, written as Snowflake accepts it (QUALIFY, not HAVING)."""
    gaps = pipeline[0].cursor().execute(
        "SELECT customer_id FROM customers_scd WHERE valid_to IS NOT NULL "
        "QUALIFY valid_to != LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from)").fetchall()
    assert gaps == []
