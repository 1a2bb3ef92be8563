"""The booking pipeline's per-minute work written by hand in DuckDB: the baseline of the booking benchmark.

What an engineer would write without the emulator, doing the same work on the same timeline:
apply the source changes to the raw table, capturing each change's row images as they happen (the
stream's job); every minute move the captured changes to the events table (the task's job); then
append the new events to silver with the business rules and recompute the gold rows of the movies
those events touched (the dynamic tables' job). Same DuckDB settings as the emulator.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa

from backends.duckdb import DUCKDB_CONFIG
from sim.workloads.booking import BookingBatch

BOOKING = ("booking_id VARCHAR, customer_id VARCHAR, movie_id VARCHAR, booking_date TIMESTAMP, status VARCHAR, "
           "ticket_count INTEGER, ticket_price DECIMAL(10,2)")
COLUMNS = ("booking_id, customer_id, movie_id, booking_date, status, ticket_count, ticket_price, total_amount, "
           "created_at, updated_at")

SCHEMA = f"""
CREATE TABLE raw ({BOOKING}, total_amount DECIMAL(10,2) AS (CAST(ticket_count * ticket_price AS DECIMAL(10,2))),
                  created_at TIMESTAMP, updated_at TIMESTAMP);
CREATE TABLE captured ({BOOKING}, total_amount DECIMAL(10,2), created_at TIMESTAMP, updated_at TIMESTAMP,
                       change_action VARCHAR, is_update BOOLEAN);
CREATE TABLE events ({BOOKING}, total_amount DECIMAL(10,2), created_at TIMESTAMP, updated_at TIMESTAMP,
                     change_action VARCHAR, is_update BOOLEAN, change_timestamp TIMESTAMP, event_id BIGINT);
CREATE SEQUENCE event_ids;
"""

SILVER = """
CREATE TABLE silver AS SELECT *,
    CASE WHEN change_action = 'DELETE' THEN -1 ELSE 1 END AS change_sign,
    CASE status WHEN 'BOOKED' THEN 'ACTIVE' WHEN 'CANCELLED' THEN 'INACTIVE' ELSE 'UNKNOWN' END
        AS booking_status_category,
    CASE WHEN ticket_count = 1 THEN 'SINGLE' WHEN ticket_count BETWEEN 2 AND 4 THEN 'GROUP'
         WHEN ticket_count >= 5 THEN 'LARGE_GROUP' ELSE 'UNKNOWN' END AS booking_size_category,
    CASE WHEN total_amount < 250 THEN 'BUDGET' WHEN total_amount <= 500 THEN 'STANDARD' ELSE 'PREMIUM' END
        AS price_category,
    CASE WHEN status = 'BOOKED' THEN total_amount ELSE 0 END AS active_revenue,
    CASE WHEN status = 'CANCELLED' THEN total_amount ELSE 0 END AS lost_revenue,
    COALESCE(booking_id IS NOT NULL AND customer_id IS NOT NULL AND movie_id IS NOT NULL AND booking_date IS NOT NULL
        AND status IN ('BOOKED', 'CANCELLED') AND COALESCE(ticket_count, 0) > 0 AND COALESCE(ticket_price, -1) >= 0
        AND booking_date <= change_timestamp, FALSE) AS is_valid_booking,
    CAST(booking_date AS DATE) AS booking_day, hour(booking_date) AS booking_hour,
    dayofweek(booking_date) AS day_of_week
FROM events WHERE event_id > $1
"""

GOLD = """
SELECT movie_id,
    SUM(change_sign) AS total_bookings,
    SUM(CASE WHEN is_valid_booking THEN change_sign ELSE 0 END) AS valid_bookings,
    SUM(CASE WHEN is_valid_booking THEN 0 ELSE change_sign END) AS invalid_bookings,
    SUM(CASE WHEN is_valid_booking AND status = 'BOOKED' THEN change_sign ELSE 0 END) AS active_bookings,
    SUM(CASE WHEN is_valid_booking AND status = 'CANCELLED' THEN change_sign ELSE 0 END) AS cancelled_bookings,
    COUNT(*) FILTER (change_action = 'INSERT' AND NOT is_update) AS new_bookings,
    COUNT(*) FILTER (change_action = 'INSERT' AND is_update) AS status_changes,
    COUNT(*) FILTER (change_action = 'DELETE' AND NOT is_update) AS deleted_bookings,
    SUM(CASE WHEN is_valid_booking
        THEN change_sign * active_revenue ELSE 0 END) AS total_active_revenue,
    SUM(CASE WHEN is_valid_booking THEN change_sign * lost_revenue ELSE 0 END) AS total_lost_revenue,
    SUM(CASE WHEN is_valid_booking THEN change_sign * total_amount ELSE 0 END) AS total_gross_revenue,
    ROUND(SUM(CASE WHEN is_valid_booking THEN change_sign * active_revenue ELSE 0 END)
          / NULLIF(SUM(CASE WHEN is_valid_booking AND status = 'BOOKED' THEN change_sign ELSE 0 END), 0), 2)
        AS avg_revenue_per_active_booking,
    SUM(CASE WHEN is_valid_booking AND price_category = 'BUDGET'
        THEN change_sign * active_revenue ELSE 0 END) AS budget_revenue,
    SUM(CASE WHEN is_valid_booking AND price_category = 'STANDARD'
        THEN change_sign * active_revenue ELSE 0 END) AS standard_revenue,
    SUM(CASE WHEN is_valid_booking AND price_category = 'PREMIUM'
        THEN change_sign * active_revenue ELSE 0 END) AS premium_revenue,
    SUM(CASE WHEN is_valid_booking AND booking_size_category = 'SINGLE'
        THEN change_sign * active_revenue ELSE 0 END) AS single_revenue,
    SUM(CASE WHEN is_valid_booking AND booking_size_category = 'GROUP'
        THEN change_sign * active_revenue ELSE 0 END) AS group_revenue,
    SUM(CASE WHEN is_valid_booking AND booking_size_category = 'LARGE_GROUP'
        THEN change_sign * active_revenue ELSE 0 END)
        AS large_group_revenue,
    ROUND(SUM(CASE WHEN is_valid_booking AND status = 'CANCELLED' THEN change_sign ELSE 0 END) * 100.0
          / NULLIF(SUM(CASE WHEN is_valid_booking THEN change_sign ELSE 0 END), 0), 2) AS cancellation_rate_percent,
    ROUND(SUM(CASE WHEN is_valid_booking AND status = 'BOOKED' THEN change_sign ELSE 0 END) * 100.0
          / NULLIF(SUM(CASE WHEN is_valid_booking THEN change_sign ELSE 0 END), 0), 2) AS active_booking_rate_percent,
    ROUND(SUM(CASE WHEN is_valid_booking THEN change_sign ELSE 0 END) * 100.0 / NULLIF(SUM(change_sign), 0), 2)
        AS data_quality_score,
    COUNT(DISTINCT CASE WHEN is_valid_booking THEN booking_day END) AS active_booking_days,
    COUNT(DISTINCT CASE WHEN is_valid_booking THEN booking_hour END) AS active_booking_hours,
    MAX(change_timestamp) AS last_change_timestamp
FROM silver {} GROUP BY movie_id
"""


class HandWrittenBookingPipeline:
    """raw -> captured changes -> events (every minute) -> silver and gold, in plain DuckDB."""

    def __init__(self) -> None:
        self.duck = duckdb.connect(config=DUCKDB_CONFIG)
        self.duck.execute(SCHEMA)
        self.duck.execute(SILVER.replace("$1", "-1"))
        self.duck.execute(f"CREATE TABLE gold AS {GOLD.format('')}")
        self.last_event = 0

    def apply(self, batch: BookingBatch, now: datetime) -> None:
        """The source changes, each with its row images captured."""
        duck = self.duck
        duck.execute("BEGIN")
        if batch.new:
            rows = pa.table(list(zip(*batch.new, strict=True)), names=["b", "c", "m", "d", "s", "n", "p"])
            duck.register("new_rows", rows)
            duck.execute(
                "INSERT INTO raw (booking_id, customer_id, movie_id, booking_date, status, ticket_count, "
                "ticket_price, created_at, updated_at) SELECT b, c, m, d, s, n, p, $1, $1 FROM new_rows",
                [now],
            )
            duck.execute(f"INSERT INTO captured SELECT {COLUMNS}, 'INSERT', FALSE FROM raw "
                         "WHERE booking_id IN (SELECT b FROM new_rows)")
            duck.unregister("new_rows")
        if batch.flips:
            ids = "(SELECT unnest($1::VARCHAR[]))"
            duck.execute(f"INSERT INTO captured SELECT {COLUMNS}, 'DELETE', TRUE FROM raw WHERE booking_id IN {ids}",
                         [batch.flips])
            duck.execute("UPDATE raw SET status = CASE WHEN status = 'BOOKED' THEN 'CANCELLED' ELSE 'BOOKED' END, "
                         f"updated_at = $2 WHERE booking_id IN {ids}", [batch.flips, now])
            duck.execute(f"INSERT INTO captured SELECT {COLUMNS}, 'INSERT', TRUE FROM raw WHERE booking_id IN {ids}",
                         [batch.flips])
        if batch.deletes:
            ids = "(SELECT unnest($1::VARCHAR[]))"
            duck.execute(f"INSERT INTO captured SELECT {COLUMNS}, 'DELETE', FALSE FROM raw WHERE booking_id IN {ids}",
                         [batch.deletes])
            duck.execute(f"DELETE FROM raw WHERE booking_id IN {ids}", [batch.deletes])
        duck.execute("COMMIT")

    def consume(self, now: datetime) -> None:
        """The task: captured changes become events."""
        duck = self.duck
        duck.execute("BEGIN")
        duck.execute("INSERT INTO events SELECT *, $1, nextval('event_ids') FROM captured", [now])
        duck.execute("DELETE FROM captured")
        duck.execute("COMMIT")

    def refresh(self) -> None:
        """Silver gets the new events; gold recomputes the movies they touched."""
        duck = self.duck
        duck.execute("BEGIN")
        duck.execute("CREATE OR REPLACE TEMP TABLE touched AS SELECT DISTINCT movie_id FROM events WHERE event_id > $1",
                     [self.last_event])
        duck.execute(f"INSERT INTO silver {SILVER.split(' AS ', 1)[1]}", [self.last_event])
        self.last_event = duck.execute("SELECT coalesce(max(event_id), 0) FROM events").fetchall()[0][0]
        duck.execute("DELETE FROM gold WHERE movie_id IN (SELECT movie_id FROM touched)")
        duck.execute(f"INSERT INTO gold {GOLD.format('WHERE movie_id IN (SELECT movie_id FROM touched)')}")
        duck.execute("COMMIT")
