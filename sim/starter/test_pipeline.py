"""Tests of the pipeline's SQL on snowsim's emulator: offline, on a virtual clock (`pytest` in this folder).

`snowsim_connection` is a fresh emulated Snowflake account (snowsim's pytest plugin); its clock moves
only when a test moves it, and the tasks and refreshes that fall due run as it does.
"""

from decimal import Decimal
from pathlib import Path

from sim.scenario import load

HERE = Path(__file__).parent


def start_pipeline(conn):
    for script in ("landing.sql", "pipeline.sql"):
        conn.execute_string((HERE / "pipeline" / script).read_text())
    return conn.cursor()


def land(cursor, *changes):
    cursor.executemany(
        "INSERT INTO order_changes (event_id, op, order_id, customer, status, amount, quantity, ordered_at, source_ts)"
        " VALUES (%s, %s, %s, 'Ada', %s, %s, 1, '2025-01-06 07:00', '2025-01-06 08:00')", changes)


def test_the_last_change_of_each_order_wins_and_deletions_remove_it(snowsim_connection):
    cursor = start_pipeline(snowsim_connection)
    land(cursor, (1, "I", "ORD-1", "PLACED", 10), (2, "I", "ORD-2", "PLACED", 20), (3, "U", "ORD-1", "PAID", 12),
         (4, "I", "ORD-3", "PLACED", 30), (5, "D", "ORD-3", "PLACED", 30))
    snowsim_connection.clock.advance(minutes=2)  # the task runs every minute
    assert cursor.execute("SELECT order_id, status, amount FROM orders ORDER BY order_id").fetchall() == [
        ("ORD-1", "PAID", Decimal("12.00")), ("ORD-2", "PLACED", Decimal("20.00"))]


def test_order_totals_follow_orders_within_the_target_lag(snowsim_connection):
    cursor = start_pipeline(snowsim_connection)
    land(cursor, (1, "I", "ORD-1", "PLACED", 10), (2, "I", "ORD-2", "PAID", 20), (3, "I", "ORD-3", "PAID", 5))
    snowsim_connection.clock.advance(minutes=3)  # a task run, then a refresh within the 1-minute lag
    assert cursor.execute("SELECT status, orders, revenue FROM order_totals ORDER BY status").fetchall() == [
        ("PAID", 2, Decimal("25.00")), ("PLACED", 1, Decimal("10.00"))]
    land(cursor, (4, "D", "ORD-2", "PAID", 20))
    snowsim_connection.clock.advance(minutes=3)
    assert cursor.execute("SELECT status, orders, revenue FROM order_totals ORDER BY status").fetchall() == [
        ("PAID", 1, Decimal("5.00")), ("PLACED", 1, Decimal("10.00"))]


def test_the_scenario_file_is_valid():
    assert load(HERE / "scenario.yaml").scenario.workload.kind == "custom"
