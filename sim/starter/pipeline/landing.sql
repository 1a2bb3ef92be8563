-- The landing side: the order service's change feed lands in order_changes, one row per change,
-- through Snowpipe (files PUT to the stage, loaded by the pipe) or Snowpipe Streaming (rows).
-- `python -m sim workloads ../scenario.yaml` prints the columns the scenario's workload lands.

CREATE OR REPLACE TABLE order_changes (
    event_id NUMBER,              -- the feed's gap-free sequence of changes
    op VARCHAR,                   -- I (new order), U (change), D (deletion)
    order_id VARCHAR,
    customer VARCHAR,
    status VARCHAR,
    amount NUMBER(10, 2),
    quantity NUMBER,
    ordered_at TIMESTAMP_NTZ,
    source_ts TIMESTAMP_NTZ       -- when the source committed the change (UTC)
);

-- Snowpipe variants PUT files here; the harness queues each on the pipe (the REST insertFiles call).
CREATE OR REPLACE STAGE order_changes_stage;

CREATE OR REPLACE PIPE order_changes_pipe AS
    COPY INTO order_changes FROM @order_changes_stage
    FILE_FORMAT = (TYPE = JSON) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE;
