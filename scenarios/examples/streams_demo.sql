-- A change-data-capture step on the emulator: a raw table, a stream, and a MERGE that applies
-- the changes to a current-state table. Run it with: python -m sim sql scenarios/examples/streams_demo.sql

CREATE TABLE raw_bookings (
    booking_id STRING,
    status STRING,
    ticket_count INT,
    ticket_price NUMBER(10, 2),
    total_amount NUMBER(10, 2) AS (ticket_count * ticket_price),
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP()
);
CREATE STREAM bookings_stream ON TABLE raw_bookings;
CREATE TABLE bookings_current (booking_id STRING, status STRING, total_amount NUMBER(10, 2));

INSERT INTO raw_bookings (booking_id, status, ticket_count, ticket_price)
VALUES ('B001', 'BOOKED', 2, 12.50), ('B002', 'BOOKED', 1, 9.00), ('B003', 'BOOKED', 4, 11.00);

-- The stream shows three inserts; a SELECT does not consume it.
SELECT booking_id, status, total_amount, METADATA$ACTION, METADATA$ISUPDATE FROM bookings_stream ORDER BY booking_id;

-- Apply the changes: the MERGE reads the stream, so its commit advances the stream's offset.
MERGE INTO bookings_current c
USING (SELECT * FROM bookings_stream WHERE METADATA$ACTION = 'INSERT') s
ON c.booking_id = s.booking_id
WHEN MATCHED THEN UPDATE SET status = s.status, total_amount = s.total_amount
WHEN NOT MATCHED THEN INSERT (booking_id, status, total_amount) VALUES (s.booking_id, s.status, s.total_amount);

SELECT SYSTEM$STREAM_HAS_DATA('bookings_stream') AS has_data;

-- A cancellation and a deletion arrive: the stream shows an update pair and a delete.
UPDATE raw_bookings SET status = 'CANCELLED' WHERE booking_id = 'B002';
DELETE FROM raw_bookings WHERE booking_id = 'B003';
SELECT booking_id, status, METADATA$ACTION, METADATA$ISUPDATE FROM bookings_stream ORDER BY booking_id, METADATA$ACTION;

MERGE INTO bookings_current c
USING bookings_stream s
ON c.booking_id = s.booking_id
WHEN MATCHED AND s.METADATA$ACTION = 'DELETE' AND NOT s.METADATA$ISUPDATE THEN DELETE
WHEN MATCHED AND s.METADATA$ACTION = 'INSERT' THEN UPDATE SET status = s.status, total_amount = s.total_amount;

SELECT * FROM bookings_current ORDER BY booking_id;
SHOW STREAMS;

-- The same MERGE as a task that runs every minute when the stream has data. The virtual clock
-- stands still between statements: SYSTEM$WAIT moves it on (on Snowflake it really waits).
CREATE TASK apply_bookings
    WAREHOUSE = COMPUTE_WH
    SCHEDULE = '1 MINUTE'
    WHEN SYSTEM$STREAM_HAS_DATA('BOOKINGS_STREAM')
AS
    MERGE INTO bookings_current c
    USING bookings_stream s
    ON c.booking_id = s.booking_id
    WHEN MATCHED AND s.METADATA$ACTION = 'DELETE' AND NOT s.METADATA$ISUPDATE THEN DELETE
    WHEN MATCHED AND s.METADATA$ACTION = 'INSERT' THEN UPDATE SET status = s.status, total_amount = s.total_amount
    WHEN NOT MATCHED AND s.METADATA$ACTION = 'INSERT' THEN INSERT (booking_id, status, total_amount)
        VALUES (s.booking_id, s.status, s.total_amount);
ALTER TASK apply_bookings RESUME;

INSERT INTO raw_bookings (booking_id, status, ticket_count, ticket_price) VALUES ('B004', 'BOOKED', 3, 10.00);
CALL SYSTEM$WAIT(150, 'SECONDS');

-- The first run applied B004; the second found the stream empty and was skipped.
SELECT * FROM bookings_current ORDER BY booking_id;
SELECT STATE, SCHEDULED_TIME, COMPLETED_TIME
FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY(TASK_NAME => 'APPLY_BOOKINGS'))
ORDER BY SCHEDULED_TIME;
ALTER TASK apply_bookings SUSPEND;
