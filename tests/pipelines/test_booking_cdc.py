"""The movie-booking CDC pipeline (scenarios/booking_cdc/pipeline.sql) end to end on the virtual clock.

Gold is checked against an independent recomputation: the test keeps its own copy of the raw
table from the workload's batches and derives every KPI from it in Python. The reference
pipelines' monitoring queries run as printed; the same inputs give byte-identical histories.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from backends import duckdb as local
from backends.clock import to_datetime
from backends.errors import ProgrammingError
from sim.workloads.booking import BookingBatch, BookingWorkload, drive

PIPELINE = Path(__file__).parents[2] / "scenarios" / "booking_cdc" / "pipeline.sql"
LOCAL = ZoneInfo("America/Los_Angeles")
CENT = Decimal("0.01")


def start_pipeline() -> local.Connection:
    conn = local.connect()
    conn.execute_string(PIPELINE.read_text())
    return conn


class RawTableModel:
    """What raw_movie_bookings holds, and what happened to it, kept from the workload's batches."""

    def __init__(self) -> None:
        self.rows: dict[str, dict] = {}
        self.inserted: dict[str, int] = defaultdict(int)
        self.flipped: dict[str, int] = defaultdict(int)
        self.deleted: dict[str, int] = defaultdict(int)
        self.valid_days: dict[str, set] = defaultdict(set)
        self.valid_hours: dict[str, set] = defaultdict(set)

    def apply(self, batch: BookingBatch, now: int) -> None:
        inserted_at = to_datetime(now).astimezone(LOCAL).replace(tzinfo=None)
        for booking_id, customer, movie, booked_at, status, tickets, price in batch.new:
            valid = customer is not None and price >= 0 and tickets > 0 and booked_at <= inserted_at
            self.rows[booking_id] = {"movie": movie, "status": status, "tickets": tickets, "total": tickets * price,
                                     "valid": valid}
            self.inserted[movie] += 1
            if valid:
                self.valid_days[movie].add(booked_at.date())
                self.valid_hours[movie].add(booked_at.hour)
        for booking_id in batch.flips:
            row = self.rows[booking_id]
            row["status"] = "CANCELLED" if row["status"] == "BOOKED" else "BOOKED"
            self.flipped[row["movie"]] += 1
        for booking_id in batch.deletes:
            self.deleted[self.rows.pop(booking_id)["movie"]] += 1

    def gold(self) -> dict[str, dict]:
        """Every KPI of movie_booking_insights, by movie, computed from the rows as they are now."""
        movies: dict[str, list[dict]] = defaultdict(list)
        for row in self.rows.values():
            movies[row["movie"]].append(row)
        result = {}
        for movie in sorted(set(movies) | set(self.inserted)):
            rows = movies[movie]
            valid = [r for r in rows if r["valid"]]
            active = [r for r in valid if r["status"] == "BOOKED"]
            cancelled = [r for r in valid if r["status"] == "CANCELLED"]

            def revenue(rows_: list[dict]) -> Decimal:
                return sum((r["total"] for r in rows_), Decimal("0.00"))

            def ratio(a: Decimal | int, b: int) -> Decimal | None:
                return (
                    (Decimal(a) * (100 if isinstance(a, int) else 1) / b).quantize(CENT, ROUND_HALF_UP) if b else None
                )

            def price(r: dict) -> str:
                return "BUDGET" if r["total"] < 250 else "STANDARD" if r["total"] <= 500 else "PREMIUM"

            def size(r: dict) -> str:
                return "SINGLE" if r["tickets"] == 1 else "GROUP" if r["tickets"] <= 4 else "LARGE_GROUP"

            result[movie] = {
                "TOTAL_BOOKINGS": len(rows),
                "VALID_BOOKINGS": len(valid),
                "INVALID_BOOKINGS": len(rows) - len(valid),
                "ACTIVE_BOOKINGS": len(active),
                "CANCELLED_BOOKINGS": len(cancelled),
                "NEW_BOOKINGS": self.inserted[movie],
                "STATUS_CHANGES": self.flipped[movie],
                "DELETED_BOOKINGS": self.deleted[movie],
                "TOTAL_ACTIVE_REVENUE": revenue(active),
                "TOTAL_LOST_REVENUE": revenue(cancelled),
                "TOTAL_GROSS_REVENUE": revenue(valid),
                "AVG_REVENUE_PER_ACTIVE_BOOKING": (revenue(active) / len(active)).quantize(CENT, ROUND_HALF_UP)
                if active
                else None,
                **{
                    f"{p}_REVENUE": revenue([r for r in active if price(r) == p])
                    for p in ("BUDGET", "STANDARD", "PREMIUM")
                },
                **{
                    f"{s}_REVENUE": revenue([r for r in active if size(r) == s])
                    for s in ("SINGLE", "GROUP", "LARGE_GROUP")
                },
                "CANCELLATION_RATE_PERCENT": ratio(len(cancelled), len(valid)),
                "ACTIVE_BOOKING_RATE_PERCENT": ratio(len(active), len(valid)),
                "DATA_QUALITY_SCORE": ratio(len(valid), len(rows)),
                "ACTIVE_BOOKING_DAYS": len(self.valid_days[movie]),
                "ACTIVE_BOOKING_HOURS": len(self.valid_hours[movie]),
            }
        return result


def _number(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).normalize()


def test_an_hour_of_bookings_gives_the_gold_a_recomputation_gives() -> None:
    conn = start_pipeline()
    model = RawTableModel()
    drive(conn, BookingWorkload(seed=7, movies=6), minutes=60, changes_per_minute=40, on_batch=model.apply)
    conn.clock.advance(seconds=90)  # the last batch: consumed at the next minute, refreshed within the lag
    cur = conn.cursor()
    got = {
        row["MOVIE_ID"]: row for row in conn.cursor(local.DictCursor).execute("SELECT * FROM movie_booking_insights")
    }
    want = model.gold()
    assert sorted(got) == sorted(want)
    for movie, kpis in want.items():
        for name, value in kpis.items():
            assert _number(got[movie][name]) == _number(value), (
                f"{movie} {name}: gold {got[movie][name]}, expected {value}"
            )
    # No event lost or duplicated: the events table holds exactly the changes the stream reported.
    events = sum(model.inserted.values()) + 2 * sum(model.flipped.values()) + sum(model.deleted.values())
    assert cur.execute("SELECT COUNT(*) FROM movie_booking_cdc_events").fetchone() == (events,)
    assert cur.execute("SELECT COUNT(*) FROM movie_bookings_stream").fetchone() == (0,)
    # The hour ran on schedule: a task run each minute (the last, with nothing left, skipped), the next one due.
    runs = cur.execute("SELECT STATE, COUNT(*) FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY(RESULT_LIMIT => 1000)) "
                       "GROUP BY STATE ORDER BY STATE").fetchall()
    assert runs == [("SCHEDULED", 1), ("SKIPPED", 1), ("SUCCEEDED", 60)]
    refreshes = cur.execute(
        "SELECT NAME, REFRESH_ACTION, COUNT(*) FROM TABLE(INFORMATION_SCHEMA.DYNAMIC_TABLE_REFRESH_HISTORY("
        "RESULT_LIMIT => 1000)) WHERE STATE = 'SUCCEEDED' GROUP BY ALL ORDER BY 1, 2").fetchall()
    # Gold refreshes every 30 s (half its lag) for 61.5 minutes, silver with it: the 60 ticks after a task
    # run find new events, the others nothing.
    assert refreshes == [("MOVIE_BOOKINGS_FILTERED", "INCREMENTAL", 60), ("MOVIE_BOOKINGS_FILTERED", "NO_DATA", 63),
                         ("MOVIE_BOOKINGS_FILTERED", "REINITIALIZE", 1), ("MOVIE_BOOKING_INSIGHTS", "INCREMENTAL", 60),
                         ("MOVIE_BOOKING_INSIGHTS", "NO_DATA", 63), ("MOVIE_BOOKING_INSIGHTS", "REINITIALIZE", 1)]


def _histories(minutes: int) -> str:
    conn = start_pipeline()
    drive(conn, BookingWorkload(seed=3, movies=4), minutes=minutes, changes_per_minute=30)
    cur = conn.cursor()
    parts = []
    for query in (
        "SELECT * FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY(RESULT_LIMIT => 10000)) ORDER BY SCHEDULED_TIME, NAME",
        "SELECT * FROM TABLE(INFORMATION_SCHEMA.DYNAMIC_TABLE_REFRESH_HISTORY(RESULT_LIMIT => 10000)) "
        "ORDER BY DATA_TIMESTAMP, NAME",
        "SELECT * FROM TABLE(INFORMATION_SCHEMA.WAREHOUSE_METERING_HISTORY(DATEADD('day', -1, CURRENT_TIMESTAMP())))",
        "SELECT * FROM movie_booking_insights ORDER BY movie_id",
    ):
        parts.append(repr(cur.execute(query).fetchall()))
    conn.close()
    return "\n".join(parts)


def test_the_same_inputs_give_byte_identical_histories() -> None:
    first, second = _histories(15), _histories(15)
    assert first.encode() == second.encode()
    assert "SUCCEEDED" in first and "INCREMENTAL" in first


def _running() -> local.Connection:
    conn = start_pipeline()
    conn.cursor().execute("CREATE WAREHOUSE analytics_wh WAREHOUSE_SIZE = 'SMALL' INITIALLY_SUSPENDED = TRUE")
    drive(conn, BookingWorkload(seed=1, movies=5), minutes=5, changes_per_minute=50)
    return conn


@pytest.fixture(scope="module")
def running() -> local.Connection:
    """Five minutes into a run; only read by the tests that share it."""
    return _running()


@pytest.fixture(scope="module")
def reconfigured() -> local.Connection:
    """Five minutes into a run; the configuration statements change it."""
    return _running()


# Every monitoring and configuration statement printed in shared/reference/booking-cdc-*.md.
REFERENCE_QUERIES = [
    "SHOW TABLES", "SHOW STREAMS", "SHOW TASKS", "SHOW DYNAMIC TABLES",
    "SHOW TASKS LIKE 'consume_stream_task'", "SHOW DYNAMIC TABLES LIKE 'movie_booking%'",
    "SELECT * FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY(\n    TASK_NAME => 'CONSUME_STREAM_TASK'\n)) \n"
    "ORDER BY SCHEDULED_TIME DESC \nLIMIT 10",
    "SELECT * FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY(\n    TASK_NAME => 'consume_stream_task'\n)) "
    "ORDER BY SCHEDULED_TIME DESC LIMIT 5",
    "SELECT * FROM movie_bookings_stream",
    "SELECT COUNT(*) as pending_changes \nFROM movie_bookings_stream",
    "SELECT COUNT(*) FROM raw_movie_bookings",
    "SELECT \n    COUNT(*) as total_records,\n    SUM(CASE WHEN is_valid_booking THEN 1 ELSE 0 END) as valid_records,\n"
    "    ROUND(SUM(CASE WHEN is_valid_booking THEN 1 ELSE 0 END) * 100.0 / COUNT(*), 2) as quality_score\n"
    "FROM movie_bookings_filtered",
    "SELECT \n    movie_id,\n    data_quality_score,\n    invalid_bookings\nFROM movie_booking_insights\n"
    "WHERE data_quality_score < 100.0\nORDER BY data_quality_score ASC",
]
REFERENCE_CONFIGURATION = [
    "ALTER TASK consume_stream_task \nSET SCHEDULE = '30 SECONDS'",
    "ALTER TASK consume_stream_task \nSET SCHEDULE = '5 MINUTE'",
    "ALTER TASK consume_stream_task \nSET WAREHOUSE = 'ANALYTICS_WH'",
    "ALTER TASK consume_stream_task SUSPEND",
    "ALTER TASK consume_stream_task RESUME",
    "ALTER DYNAMIC TABLE movie_bookings_filtered \nSET TARGET_LAG = '1 MINUTE'",
    "ALTER DYNAMIC TABLE movie_bookings_filtered REFRESH",
    "ALTER DYNAMIC TABLE movie_booking_insights REFRESH",
    "CREATE OR REPLACE STREAM movie_bookings_stream \nON TABLE raw_movie_bookings",
]
# Printed in the references with an argument Snowflake does not take, or a view it does not have.
REFERENCE_MISTAKES = [
    ("SELECT * FROM TABLE(INFORMATION_SCHEMA.DYNAMIC_TABLE_REFRESH_HISTORY(\n    TABLE_NAME => "
     "'MOVIE_BOOKINGS_FILTERED'\n"
     ")) \nORDER BY REFRESH_START_TIME DESC \nLIMIT 5", "Invalid argument types for function "
                                                        "'DYNAMIC_TABLE_REFRESH_HISTORY'"),
    ("SELECT * FROM TABLE(\n    INFORMATION_SCHEMA.DYNAMIC_TABLE_REFRESH_HISTORY(\n        TABLE_NAME => "
     "'movie_bookings_filtered'"
     "\n    )\n) ORDER BY REFRESH_START_TIME DESC LIMIT 5", "Invalid argument types for function "
                                                            "'DYNAMIC_TABLE_REFRESH_HISTORY'"),
    ("SELECT * FROM TABLE(INFORMATION_SCHEMA.DYNAMIC_TABLE_REFRESH_HISTORY(\n    TABLE_NAME => "
     "'MOVIE_BOOKINGS_FILTERED'\n"
     ")) \nWHERE STATE = 'FAILED'\nORDER BY REFRESH_START_TIME DESC", "Invalid argument types"),
    ("SELECT name, state, schedule \nFROM TABLE(INFORMATION_SCHEMA.TASKS)\nWHERE name = 'CONSUME_STREAM_TASK'",
     "Unknown function INFORMATION_SCHEMA.TASKS"),
]


@pytest.mark.parametrize("sql", REFERENCE_QUERIES, ids=lambda s: " ".join(s.split())[:60])
def test_reference_monitoring_queries_run(running, sql) -> None:
    cur = running.cursor()
    cur.execute(sql)
    assert cur.description is not None


@pytest.mark.parametrize("sql", REFERENCE_CONFIGURATION, ids=lambda s: " ".join(s.split())[:60])
def test_reference_configuration_statements_run(reconfigured, sql) -> None:
    reconfigured.cursor().execute(sql)


@pytest.mark.parametrize(("sql", "error"), REFERENCE_MISTAKES, ids=lambda s: " ".join(str(s).split())[:60])
def test_reference_mistakes_get_snowflakes_error(running, sql, error) -> None:
    with pytest.raises(ProgrammingError, match=error.replace("(", r"\(")):
        running.cursor().execute(sql)


def test_monitoring_shows_the_running_pipeline(running) -> None:
    cur = running.cursor()
    task = cur.execute("SHOW TASKS LIKE 'consume_stream_task'").fetchall()
    assert [(row[1], row[10]) for row in task] in (
        [("CONSUME_STREAM_TASK", "started")],
        [("CONSUME_STREAM_TASK", "suspended")],
    )
    states = {row[0] for row in cur.execute(
        "SELECT STATE FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY(TASK_NAME => 'consume_stream_task'))").fetchall()}
    assert "SUCCEEDED" in states
    tables = cur.execute("SHOW DYNAMIC TABLES LIKE 'movie_booking%'").fetchall()
    assert sorted((row[1], row[9], row[10]) for row in tables) == [
        ("MOVIE_BOOKINGS_FILTERED", "DOWNSTREAM", "INCREMENTAL"), ("MOVIE_BOOKING_INSIGHTS", "1 minute", "INCREMENTAL")]
