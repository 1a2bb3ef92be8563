-- The movie-booking CDC pipeline of shared/reference/booking-cdc-dynamic-tables.md and
-- booking-cdc-dashboard.md, as one script that runs unchanged on the emulator and on Snowflake.
--
--   raw_movie_bookings --stream--> consume_stream_task (every minute) --> movie_booking_cdc_events
--     --> movie_bookings_filtered (silver dynamic table, DOWNSTREAM)
--     --> movie_booking_insights  (gold dynamic table, 1 minute lag)
--
-- Differences from the reference, and why:
-- * The reference refreshes the dynamic tables from a second task; here the gold table's
--   TARGET_LAG drives both (silver is DOWNSTREAM, so it refreshes whenever gold needs it).
-- * The events table is a change log: an update arrives as a DELETE (old image) and an INSERT
--   (new image), both with is_update = TRUE. Silver carries change_sign (+1 / -1) so gold's
--   counts and revenues are signed sums: they describe the bookings as they are now in the raw
--   table, not the number of events seen.
-- * Validity ("no future dates") compares booking_date with change_timestamp, the time the
--   change was captured: CURRENT_TIMESTAMP() inside a dynamic table would force full refreshes.

CREATE OR REPLACE TABLE raw_movie_bookings (
    booking_id STRING,
    customer_id STRING,
    movie_id STRING,
    booking_date TIMESTAMP,
    status STRING,                                              -- BOOKED, CANCELLED
    ticket_count INT,
    ticket_price NUMBER(10, 2),
    total_amount NUMBER(10, 2) AS (ticket_count * ticket_price),
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP(),
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP()
);

CREATE OR REPLACE STREAM movie_bookings_stream ON TABLE raw_movie_bookings;

CREATE OR REPLACE TABLE movie_booking_cdc_events (
    booking_id STRING,
    customer_id STRING,
    movie_id STRING,
    booking_date TIMESTAMP,
    status STRING,
    ticket_count INT,
    ticket_price NUMBER(10, 2),
    total_amount NUMBER(10, 2),
    created_at TIMESTAMP,
    updated_at TIMESTAMP,
    change_action STRING,                                       -- INSERT, DELETE (METADATA$ACTION)
    is_update BOOLEAN,                                          -- METADATA$ISUPDATE
    change_timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP()
);

CREATE OR REPLACE TASK consume_stream_task
    WAREHOUSE = COMPUTE_WH
    SCHEDULE = '1 MINUTE'
    WHEN SYSTEM$STREAM_HAS_DATA('MOVIE_BOOKINGS_STREAM')
AS
    INSERT INTO movie_booking_cdc_events (
        booking_id, customer_id, movie_id, booking_date, status, ticket_count, ticket_price, total_amount,
        created_at, updated_at, change_action, is_update)
    SELECT booking_id, customer_id, movie_id, booking_date, status, ticket_count, ticket_price, total_amount,
           created_at, updated_at, METADATA$ACTION, METADATA$ISUPDATE
    FROM movie_bookings_stream
    WHERE METADATA$ACTION IS NOT NULL;

CREATE OR REPLACE DYNAMIC TABLE movie_bookings_filtered
    TARGET_LAG = DOWNSTREAM
    WAREHOUSE = COMPUTE_WH
AS
SELECT
    booking_id, customer_id, movie_id, booking_date, status, ticket_count, ticket_price, total_amount,
    created_at, updated_at, change_action, is_update, change_timestamp,
    IFF(change_action = 'DELETE', -1, 1) AS change_sign,
    CASE status WHEN 'BOOKED' THEN 'ACTIVE' WHEN 'CANCELLED' THEN 'INACTIVE' ELSE 'UNKNOWN' END
        AS booking_status_category,
    CASE WHEN ticket_count = 1 THEN 'SINGLE'
         WHEN ticket_count BETWEEN 2 AND 4 THEN 'GROUP'
         WHEN ticket_count >= 5 THEN 'LARGE_GROUP'
         ELSE 'UNKNOWN' END AS booking_size_category,
    CASE WHEN total_amount < 250 THEN 'BUDGET'
         WHEN total_amount <= 500 THEN 'STANDARD'
         ELSE 'PREMIUM' END AS price_category,
    IFF(status = 'BOOKED', total_amount, 0) AS active_revenue,
    IFF(status = 'CANCELLED', total_amount, 0) AS lost_revenue,
    booking_id IS NOT NULL AND customer_id IS NOT NULL AND movie_id IS NOT NULL
        AND booking_date IS NOT NULL AND status IN ('BOOKED', 'CANCELLED')
        AND COALESCE(ticket_count, 0) > 0 AND COALESCE(ticket_price, -1) >= 0
        AND booking_date <= change_timestamp AS is_valid_booking,
    TO_DATE(booking_date) AS booking_day,
    HOUR(booking_date) AS booking_hour,
    DAYOFWEEK(booking_date) AS day_of_week
FROM movie_booking_cdc_events;

CREATE OR REPLACE DYNAMIC TABLE movie_booking_insights
    TARGET_LAG = '1 minute'
    WAREHOUSE = COMPUTE_WH
AS
SELECT
    movie_id,
    -- booking counts: bookings as they are now (signed), and the changes that got them there
    SUM(change_sign) AS total_bookings,
    SUM(IFF(is_valid_booking, change_sign, 0)) AS valid_bookings,
    SUM(IFF(is_valid_booking, 0, change_sign)) AS invalid_bookings,
    SUM(IFF(is_valid_booking AND status = 'BOOKED', change_sign, 0)) AS active_bookings,
    SUM(IFF(is_valid_booking AND status = 'CANCELLED', change_sign, 0)) AS cancelled_bookings,
    COUNT_IF(change_action = 'INSERT' AND NOT is_update) AS new_bookings,
    COUNT_IF(change_action = 'INSERT' AND is_update) AS status_changes,
    COUNT_IF(change_action = 'DELETE' AND NOT is_update) AS deleted_bookings,
    -- revenue, valid bookings only
    SUM(IFF(is_valid_booking, change_sign * active_revenue, 0)) AS total_active_revenue,
    SUM(IFF(is_valid_booking, change_sign * lost_revenue, 0)) AS total_lost_revenue,
    SUM(IFF(is_valid_booking, change_sign * total_amount, 0)) AS total_gross_revenue,
    ROUND(SUM(IFF(is_valid_booking, change_sign * active_revenue, 0))
          / NULLIF(SUM(IFF(is_valid_booking AND status = 'BOOKED', change_sign, 0)), 0), 2)
        AS avg_revenue_per_active_booking,
    SUM(IFF(is_valid_booking AND price_category = 'BUDGET', change_sign * active_revenue, 0)) AS budget_revenue,
    SUM(IFF(is_valid_booking AND price_category = 'STANDARD', change_sign * active_revenue, 0)) AS standard_revenue,
    SUM(IFF(is_valid_booking AND price_category = 'PREMIUM', change_sign * active_revenue, 0)) AS premium_revenue,
    SUM(IFF(is_valid_booking AND booking_size_category = 'SINGLE', change_sign * active_revenue, 0)) AS single_revenue,
    SUM(IFF(is_valid_booking AND booking_size_category = 'GROUP', change_sign * active_revenue, 0)) AS group_revenue,
    SUM(IFF(is_valid_booking AND booking_size_category = 'LARGE_GROUP', change_sign * active_revenue, 0))
        AS large_group_revenue,
    -- rates and quality
    ROUND(SUM(IFF(is_valid_booking AND status = 'CANCELLED', change_sign, 0)) * 100.0
          / NULLIF(SUM(IFF(is_valid_booking, change_sign, 0)), 0), 2) AS cancellation_rate_percent,
    ROUND(SUM(IFF(is_valid_booking AND status = 'BOOKED', change_sign, 0)) * 100.0
          / NULLIF(SUM(IFF(is_valid_booking, change_sign, 0)), 0), 2) AS active_booking_rate_percent,
    ROUND(SUM(IFF(is_valid_booking, change_sign, 0)) * 100.0 / NULLIF(SUM(change_sign), 0), 2)
        AS data_quality_score,
    -- booking patterns: days and hours that saw a valid booking event
    COUNT(DISTINCT IFF(is_valid_booking, booking_day, NULL)) AS active_booking_days,
    COUNT(DISTINCT IFF(is_valid_booking, booking_hour, NULL)) AS active_booking_hours,
    MAX(change_timestamp) AS last_change_timestamp
FROM movie_bookings_filtered
GROUP BY movie_id;

ALTER TASK consume_stream_task RESUME;
