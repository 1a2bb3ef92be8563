-- Runs after landing.sql and pipeline.sql: consume_stream_task becomes a child of
-- apply_booking_changes, so it reads raw_movie_bookings' stream right after each MERGE has
-- committed. Scheduled on their own at the same minute mark, the two tasks race: when the warehouse
-- is resuming for the MERGE, the consumer's WHEN finds no data yet and the changes wait a minute.

ALTER TASK apply_booking_changes SUSPEND;
ALTER TASK consume_stream_task SUSPEND;
ALTER TASK consume_stream_task UNSET SCHEDULE;
ALTER TASK consume_stream_task ADD AFTER apply_booking_changes;
ALTER TASK consume_stream_task RESUME;
ALTER TASK apply_booking_changes RESUME;
