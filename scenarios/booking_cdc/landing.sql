-- The landing side of the booking pipeline, for the harness: the booking service's change feed
-- lands here (Snowpipe files or Snowpipe Streaming rows), and a task applies it to
-- raw_movie_bookings, whose stream feeds the rest of pipeline.sql.
--
--   booking_changes (append-only, one row per change)
--     --stream--> apply_booking_changes (every minute) --MERGE--> raw_movie_bookings --> pipeline.sql
--
-- Run it before pipeline.sql (it creates the task that writes raw_movie_bookings), and
-- chain_tasks.sql after, which makes consume_stream_task run after each MERGE.

CREATE OR REPLACE TABLE booking_changes (
    event_id NUMBER(38, 0),           -- gap-free sequence of the source's changes
    op STRING,                        -- I (new booking), U (status change), D (deletion)
    booking_id STRING,
    customer_id STRING,
    movie_id STRING,
    booking_date TIMESTAMP,
    status STRING,
    ticket_count INT,
    ticket_price NUMBER(10, 2),
    source_ts TIMESTAMP               -- when the source committed the change (UTC)
);

CREATE OR REPLACE STREAM booking_changes_stream ON TABLE booking_changes APPEND_ONLY = TRUE;

-- The stage and pipe the Snowpipe variants load through (Streaming variants write rows directly).
CREATE OR REPLACE STAGE booking_changes_stage;

CREATE OR REPLACE PIPE booking_changes_pipe AS
    COPY INTO booking_changes FROM @booking_changes_stage
    FILE_FORMAT = (TYPE = JSON) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE;

-- One MERGE per run: the last change of each booking in the batch wins (event_id orders them).
CREATE OR REPLACE TASK apply_booking_changes
    WAREHOUSE = COMPUTE_WH
    SCHEDULE = '1 MINUTE'
    WHEN SYSTEM$STREAM_HAS_DATA('BOOKING_CHANGES_STREAM')
AS
    MERGE INTO raw_movie_bookings r
    USING (
        SELECT * FROM booking_changes_stream
        QUALIFY ROW_NUMBER() OVER (PARTITION BY booking_id ORDER BY event_id DESC) = 1
    ) c
    ON r.booking_id = c.booking_id
    WHEN MATCHED AND c.op = 'D' THEN DELETE
    WHEN MATCHED THEN UPDATE SET
        customer_id = c.customer_id, movie_id = c.movie_id, booking_date = c.booking_date, status = c.status,
        ticket_count = c.ticket_count, ticket_price = c.ticket_price,
        updated_at = CONVERT_TIMEZONE('UTC', 'America/Los_Angeles', c.source_ts)
    WHEN NOT MATCHED AND c.op <> 'D' THEN INSERT
        (booking_id, customer_id, movie_id, booking_date, status, ticket_count, ticket_price, created_at, updated_at)
    VALUES
        (c.booking_id, c.customer_id, c.movie_id, c.booking_date, c.status, c.ticket_count, c.ticket_price,
         CONVERT_TIMEZONE('UTC', 'America/Los_Angeles', c.source_ts),
         CONVERT_TIMEZONE('UTC', 'America/Los_Angeles', c.source_ts));

ALTER TASK apply_booking_changes RESUME;
