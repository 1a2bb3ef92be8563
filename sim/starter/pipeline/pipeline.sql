-- Silver and gold: a stream on the landing table, a task that MERGEs each minute's changes into
-- orders (the current state of every order), and a dynamic table of totals by status.
--
--   order_changes --stream--> apply_order_changes (every minute, MERGE) --> orders --> order_totals (DT)

CREATE OR REPLACE TABLE orders (
    order_id VARCHAR PRIMARY KEY,
    customer VARCHAR,
    status VARCHAR,
    amount NUMBER(10, 2),
    quantity NUMBER,
    ordered_at TIMESTAMP_NTZ,
    updated_at TIMESTAMP_NTZ      -- the source time of the change that made the row what it is
);

CREATE OR REPLACE STREAM order_changes_stream ON TABLE order_changes APPEND_ONLY = TRUE;

-- The last change of each order in the batch wins (event_id orders them); a deletion removes the order.
CREATE OR REPLACE TASK apply_order_changes
    WAREHOUSE = COMPUTE_WH
    SCHEDULE = '1 MINUTE'
    WHEN SYSTEM$STREAM_HAS_DATA('ORDER_CHANGES_STREAM')
AS
    MERGE INTO orders o
    USING (
        SELECT * FROM order_changes_stream
        QUALIFY ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY event_id DESC) = 1
    ) c
    ON o.order_id = c.order_id
    WHEN MATCHED AND c.op = 'D' THEN DELETE
    WHEN MATCHED THEN UPDATE SET
        customer = c.customer, status = c.status, amount = c.amount, quantity = c.quantity,
        ordered_at = c.ordered_at, updated_at = c.source_ts
    WHEN NOT MATCHED AND c.op <> 'D' THEN
        INSERT (order_id, customer, status, amount, quantity, ordered_at, updated_at)
        VALUES (c.order_id, c.customer, c.status, c.amount, c.quantity, c.ordered_at, c.source_ts);

ALTER TASK apply_order_changes RESUME;

CREATE OR REPLACE DYNAMIC TABLE order_totals
    TARGET_LAG = '1 minute'
    WAREHOUSE = COMPUTE_WH
AS
    SELECT status, COUNT(*) AS orders, SUM(amount) AS revenue, SUM(quantity) AS items
    FROM orders
    GROUP BY status;
