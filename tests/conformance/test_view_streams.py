"""Streams on views: projections, filters and inner joins (semantics section 1.9)."""

from __future__ import annotations

import pytest

from .cases import Expect, Fails, case, run_case_on

ORDERS = "CREATE TABLE orders (id INT, order_name VARCHAR)"
CUSTOMERS = "CREATE TABLE customers (id INT, customer_name VARCHAR)"
JOINED = "SELECT id, order_name, customer_name, METADATA$ACTION, METADATA$ISUPDATE FROM v_stream"

CASES = [
    # https://docs.snowflake.com/en/user-guide/streams-examples#streams-on-views
    case(
        "the documentation's orders-by-customer example",
        ORDERS,
        CUSTOMERS,
        "CREATE OR REPLACE VIEW ordersByCustomer AS SELECT * FROM orders NATURAL JOIN customers",
        "INSERT INTO orders VALUES (1, 'order1')",
        "INSERT INTO customers VALUES (1, 'customer1')",
        "CREATE OR REPLACE STREAM ordersByCustomerStream ON VIEW ordersBycustomer",
        Expect("SELECT * FROM ordersByCustomer", [(1, "order1", "customer1")]),
        Expect("SELECT * EXCLUDE METADATA$ROW_ID FROM ordersByCustomerStream", []),
        "INSERT INTO orders VALUES (1, 'order2')",
        Expect(
            "SELECT * EXCLUDE METADATA$ROW_ID FROM ordersByCustomerStream",
            [(1, "order2", "customer1", "INSERT", False)],
        ),
        "INSERT INTO customers VALUES (1, 'customer2')",
        Expect(
            "SELECT * EXCLUDE METADATA$ROW_ID FROM ordersByCustomerStream",
            [
                (1, "order1", "customer2", "INSERT", False),
                (1, "order2", "customer1", "INSERT", False),
                (1, "order2", "customer2", "INSERT", False),
            ],
        ),
        "DELETE FROM orders WHERE order_name = 'order1'",
        Expect(
            "SELECT * EXCLUDE METADATA$ROW_ID FROM ordersByCustomerStream",
            [
                (1, "order2", "customer1", "INSERT", False),
                (1, "order2", "customer2", "INSERT", False),
                (1, "order1", "customer1", "DELETE", False),
            ],
        ),
    ),
    case(
        "a projection and filter view keeps only matching rows and columns",
        "CREATE TABLE t (id INT, v STRING, secret STRING)",
        "INSERT INTO t VALUES (1, 'a', 'x'), (2, 'b', 'y')",
        "CREATE VIEW v AS SELECT id, UPPER(v) AS big FROM t WHERE id > 1",
        "CREATE STREAM s ON VIEW v",
        "INSERT INTO t VALUES (3, 'c', 'z'), (0, 'skip', 'z')",
        "UPDATE t SET v = 'bb' WHERE id = 2",
        "UPDATE t SET secret = 'changed' WHERE id = 1",
        Expect(
            "SELECT id, big, METADATA$ACTION, METADATA$ISUPDATE FROM s",
            [(2, "B", "DELETE", True), (2, "BB", "INSERT", True), (3, "C", "INSERT", False)],
        ),
    ),
    case(
        "a row moving out of a view's filter is a delete",
        "CREATE TABLE t (id INT, status STRING)",
        "INSERT INTO t VALUES (1, 'open')",
        "CREATE VIEW open_items AS SELECT id FROM t WHERE status = 'open'",
        "CREATE STREAM s ON VIEW open_items",
        "UPDATE t SET status = 'closed'",
        Expect("SELECT id, METADATA$ACTION, METADATA$ISUPDATE FROM s", [(1, "DELETE", False)]),
    ),
    case(
        "an update on either side of an inner join updates the joined rows",
        ORDERS,
        CUSTOMERS,
        "INSERT INTO orders VALUES (1, 'o1'), (2, 'o2')",
        "INSERT INTO customers VALUES (1, 'c1'), (2, 'c2')",
        "CREATE VIEW v AS SELECT o.id, o.order_name, c.customer_name FROM orders o JOIN customers c ON o.id = c.id",
        "CREATE STREAM v_stream ON VIEW v",
        "UPDATE customers SET customer_name = 'C1' WHERE id = 1",
        Expect(JOINED, [(1, "o1", "c1", "DELETE", True), (1, "o1", "C1", "INSERT", True)]),
        "CREATE TABLE sink AS SELECT * FROM v_stream",
        "UPDATE orders SET order_name = 'O2' WHERE id = 2",
        "DELETE FROM customers WHERE id = 1",
        Expect(
            JOINED, [(2, "o2", "c2", "DELETE", True), (2, "O2", "c2", "INSERT", True), (1, "o1", "C1", "DELETE", False)]
        ),
    ),
    case(
        "an append-only view stream joins new rows with the other side",
        ORDERS,
        CUSTOMERS,
        "INSERT INTO customers VALUES (1, 'c1')",
        "CREATE VIEW v AS SELECT o.id, o.order_name, c.customer_name FROM orders o JOIN customers c ON o.id = c.id",
        "CREATE STREAM v_stream ON VIEW v APPEND_ONLY = TRUE",
        "INSERT INTO orders VALUES (1, 'o1'), (2, 'o2')",
        "INSERT INTO customers VALUES (2, 'c2')",
        "UPDATE customers SET customer_name = 'ignored' WHERE id = 1",
        Expect(JOINED, [(1, "o1", "c1", "INSERT", False), (2, "o2", "c2", "INSERT", False)]),
    ),
    case(
        "a UNION ALL view tracks both branches",
        "CREATE TABLE a (id INT)",
        "CREATE TABLE b (id INT)",
        "CREATE VIEW v AS SELECT id, 'a' AS src FROM a UNION ALL SELECT id, 'b' FROM b",
        "CREATE STREAM s ON VIEW v",
        "INSERT INTO a VALUES (1)",
        "INSERT INTO b VALUES (1)",
        Expect("SELECT id, src, METADATA$ACTION FROM s", [(1, "a", "INSERT"), (1, "b", "INSERT")]),
        Expect("SELECT COUNT(DISTINCT METADATA$ROW_ID) FROM s", [(2,)]),
    ),
    case(
        "a view with GROUP BY cannot be tracked",
        "CREATE TABLE t (id INT)",
        "CREATE VIEW v AS SELECT id, COUNT(*) AS n FROM t GROUP BY id",
        Fails("CREATE STREAM s ON VIEW v", "GROUP BY"),
    ),
    case(
        "a view with an outer join cannot be tracked",
        ORDERS,
        CUSTOMERS,
        "CREATE VIEW v AS SELECT o.id FROM orders o LEFT JOIN customers c ON o.id = c.id",
        Fails("CREATE STREAM s ON VIEW v", "outer join"),
    ),
    case(
        "a view selecting CURRENT_TIMESTAMP() can be tracked; the stream evaluates it when read",
        "CREATE TABLE t (id INT)",
        "CREATE VIEW v AS SELECT id, CURRENT_TIMESTAMP() AS seen_at FROM t",
        "CREATE STREAM s ON VIEW v",
        "INSERT INTO t VALUES (1), (2)",
        Expect("SELECT id, seen_at = CURRENT_TIMESTAMP(), METADATA$ACTION FROM s",
               [(1, True, "INSERT"), (2, True, "INSERT")]),
    ),
    case(
        "ON TABLE with a view is an error",
        "CREATE TABLE t (id INT)",
        "CREATE VIEW v AS SELECT id FROM t",
        Fails("CREATE STREAM s ON TABLE v", "view"),
    ),
]


@pytest.mark.parametrize("item", CASES, ids=str)
def test_view_stream_case(backend, item) -> None:
    run_case_on(backend, item)
