"""Streams on tables: semantics sections 1.2-1.7 (shared/reference/snowflake-semantics.md), case by case."""

from __future__ import annotations

import pytest

from .cases import Expect, Fails, case, run_case_on

TABLE = "CREATE TABLE t (id INT, v STRING)"
STREAM = "CREATE STREAM s ON TABLE t"
CHANGES = "SELECT id, v, METADATA$ACTION, METADATA$ISUPDATE FROM s"
SAME_ROW_ID = "SELECT COUNT(DISTINCT METADATA$ROW_ID), COUNT(*) FROM s"

# Section 1.4: the net change within one offset window, row by row of the table.
NET_CHANGES = [
    case("insert", TABLE, STREAM, "INSERT INTO t VALUES (1, 'a')", Expect(CHANGES, [(1, "a", "INSERT", False)])),
    case(
        "insert then update gives one insert with the final values",
        TABLE,
        STREAM,
        "INSERT INTO t VALUES (1, 'a')",
        "UPDATE t SET v = 'b' WHERE id = 1",
        Expect(CHANGES, [(1, "b", "INSERT", False)]),
    ),
    case(
        "insert then several updates gives one insert with the final values",
        TABLE,
        STREAM,
        "INSERT INTO t VALUES (1, 'a')",
        "UPDATE t SET v = 'b'",
        "UPDATE t SET v = 'c'",
        Expect(CHANGES, [(1, "c", "INSERT", False)]),
    ),
    case(
        "insert then delete gives nothing",
        TABLE,
        STREAM,
        "INSERT INTO t VALUES (1, 'a')",
        "DELETE FROM t WHERE id = 1",
        Expect(CHANGES, []),
    ),
    case(
        "update of a pre-existing row gives a delete and an insert pair",
        TABLE,
        "INSERT INTO t VALUES (1, 'a')",
        STREAM,
        "UPDATE t SET v = 'b' WHERE id = 1",
        Expect(CHANGES, [(1, "a", "DELETE", True), (1, "b", "INSERT", True)]),
        Expect(SAME_ROW_ID, [(1, 2)]),
    ),
    case(
        "several updates of a pre-existing row net to offset values and final values",
        TABLE,
        "INSERT INTO t VALUES (1, 'a')",
        STREAM,
        "UPDATE t SET v = 'b'",
        "UPDATE t SET v = 'c'",
        Expect(CHANGES, [(1, "a", "DELETE", True), (1, "c", "INSERT", True)]),
    ),
    case(
        "update then delete of a pre-existing row gives one delete with offset values",
        TABLE,
        "INSERT INTO t VALUES (1, 'a')",
        STREAM,
        "UPDATE t SET v = 'b'",
        "DELETE FROM t",
        Expect(CHANGES, [(1, "a", "DELETE", False)]),
    ),
    case(
        "delete of a pre-existing row",
        TABLE,
        "INSERT INTO t VALUES (1, 'a'), (2, 'b')",
        STREAM,
        "DELETE FROM t WHERE id = 2",
        Expect(CHANGES, [(2, "b", "DELETE", False)]),
    ),
    case(
        "truncate deletes every pre-existing row",
        TABLE,
        "INSERT INTO t VALUES (1, 'a'), (2, 'b')",
        STREAM,
        "INSERT INTO t VALUES (3, 'c')",
        "TRUNCATE TABLE t",
        Expect(CHANGES, [(1, "a", "DELETE", False), (2, "b", "DELETE", False)]),
    ),
    case(
        "changes that return a row to its offset state give nothing",
        TABLE,
        "INSERT INTO t VALUES (1, 'a')",
        STREAM,
        "UPDATE t SET v = 'b'",
        "UPDATE t SET v = 'a'",
        Expect(CHANGES, []),
    ),
    case(
        "changes from several transactions net together",
        TABLE,
        "INSERT INTO t VALUES (1, 'a'), (2, 'b')",
        STREAM,
        "INSERT INTO t VALUES (3, 'c')",
        "BEGIN",
        "UPDATE t SET v = 'x' WHERE id IN (1, 3)",
        "DELETE FROM t WHERE id = 2",
        "COMMIT",
        Expect(
            CHANGES,
            [(1, "a", "DELETE", True), (1, "x", "INSERT", True), (2, "b", "DELETE", False), (3, "x", "INSERT", False)],
        ),
    ),
    case(
        "one MERGE inserting, updating and deleting",
        TABLE,
        "INSERT INTO t VALUES (1, 'a'), (2, 'b')",
        STREAM,
        "MERGE INTO t USING (SELECT 1 AS id, 'A' AS v UNION ALL SELECT 2, 'gone' UNION ALL SELECT 3, 'c') src "
        "ON t.id = src.id WHEN MATCHED AND src.v = 'gone' THEN DELETE WHEN MATCHED THEN UPDATE SET v = src.v "
        "WHEN NOT MATCHED THEN INSERT (id, v) VALUES (src.id, src.v)",
        Expect(
            CHANGES,
            [(1, "a", "DELETE", True), (1, "A", "INSERT", True), (2, "b", "DELETE", False), (3, "c", "INSERT", False)],
        ),
    ),
    case(
        "MERGE clause conditions and updates can read the target row",
        TABLE,
        "INSERT INTO t VALUES (1, 'a'), (2, 'b')",
        STREAM,
        "MERGE INTO t USING (SELECT 1 AS id UNION ALL SELECT 2 UNION ALL SELECT 3) src ON t.id = src.id "
        "WHEN MATCHED AND t.v = 'a' THEN DELETE WHEN MATCHED THEN UPDATE SET v = t.v || src.id::STRING "
        "WHEN NOT MATCHED AND src.id > 5 THEN INSERT (id, v) VALUES (src.id, 'never')",
        Expect(CHANGES, [(1, "a", "DELETE", False), (2, "b", "DELETE", True), (2, "b2", "INSERT", True)]),
    ),
    case(
        "a MERGE update keeps the row's identity and recomputes its virtual columns",
        "CREATE TABLE t (id INT, price NUMBER(10,2), qty INT, total NUMBER(10,2) AS (price * qty))",
        "INSERT INTO t (id, price, qty) VALUES (1, 2.50, 4), (2, 1.00, 1)",
        STREAM,
        "MERGE INTO t USING (SELECT 1 AS id, 2 AS qty) src ON t.id = src.id WHEN MATCHED THEN UPDATE SET qty = src.qty",
        Expect(
            "SELECT id, price, qty, total, METADATA$ACTION, METADATA$ISUPDATE FROM s",
            [(1, 2.5, 4, 10.0, "DELETE", True), (1, 2.5, 2, 5.0, "INSERT", True)],
        ),
        Expect(SAME_ROW_ID, [(1, 2)]),
        Expect("SELECT id, qty, total FROM t ORDER BY id", [(1, 2, 5.0), (2, 1, 1.0)]),
    ),
    case(
        "MERGE from a table without an alias inserts the target's defaults",
        "CREATE TABLE t (id INT, v STRING DEFAULT 'd')",
        "CREATE TABLE arrivals (id INT)",
        "INSERT INTO arrivals VALUES (5)",
        STREAM,
        "MERGE INTO t USING arrivals ON t.id = arrivals.id WHEN NOT MATCHED THEN INSERT (id) VALUES (arrivals.id)",
        Expect(CHANGES, [(5, "d", "INSERT", False)]),
    ),
    case(
        "the change set has the source columns then the metadata columns",
        "CREATE TABLE t (id INT, price NUMBER(10,2), qty INT, total NUMBER(10,2) AS (price * qty))",
        STREAM,
        "INSERT INTO t (id, price, qty) VALUES (1, 2.50, 4)",
        Expect("SELECT * EXCLUDE METADATA$ROW_ID FROM s", [(1, 2.5, 4, 10.0, "INSERT", False)]),
    ),
]


# Section 1.5: when the offset advances.
CONSUMPTION = [
    case("a SELECT does not advance the offset", TABLE, STREAM, "INSERT INTO t VALUES (1, 'a')",
         "SELECT * FROM s", Expect(CHANGES, [(1, "a", "INSERT", False)])),
    case("INSERT ... SELECT from the stream advances the offset", TABLE, STREAM, "CREATE TABLE sink (id INT, v STRING)",
         "INSERT INTO t VALUES (1, 'a')", "INSERT INTO sink SELECT id, v FROM s", Expect(CHANGES, []),
         Expect("SELECT * FROM sink", [(1, "a")])),
    case("a DML that filters out every row still advances the offset", TABLE, STREAM,
         "CREATE TABLE sink (id INT)", "INSERT INTO t VALUES (1, 'a')",
         "INSERT INTO sink SELECT id FROM s WHERE 0 = 1", Expect(CHANGES, [])),
    case("CREATE TABLE AS SELECT from the stream advances the offset", TABLE, STREAM,
         "INSERT INTO t VALUES (1, 'a')", "CREATE TEMPORARY TABLE x AS SELECT * FROM s WHERE 1 = 0",
         Expect(CHANGES, [])),
    case("MERGE using the stream advances the offset", TABLE, STREAM, "CREATE TABLE target (id INT, v STRING)",
         "INSERT INTO t VALUES (1, 'a'), (2, 'b')",
         "MERGE INTO target USING s ON target.id = s.id WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.v)",
         Expect(CHANGES, []), Expect("SELECT * FROM target", [(1, "a"), (2, "b")])),
    case("DELETE and UPDATE reading the stream advance the offset", TABLE, STREAM,
         "CREATE TABLE target (id INT, v STRING)", "INSERT INTO target VALUES (1, 'old'), (2, 'old')",
         "INSERT INTO t VALUES (1, 'a')", "UPDATE target SET v = s.v FROM s WHERE target.id = s.id",
         Expect(CHANGES, []), Expect("SELECT * FROM target", [(1, "a"), (2, "old")]),
         "INSERT INTO t VALUES (2, 'b')", "DELETE FROM target USING s WHERE target.id = s.id", Expect(CHANGES, []),
         Expect("SELECT * FROM target", [(1, "a")])),
    case("a rolled back consumption leaves the offset where it was", TABLE, STREAM,
         "CREATE TABLE sink (id INT)", "INSERT INTO t VALUES (1, 'a')", "BEGIN",
         "INSERT INTO sink SELECT id FROM s", "ROLLBACK", Expect(CHANGES, [(1, "a", "INSERT", False)]),
         Expect("SELECT * FROM sink", [])),
    case("a consumer's later changes stay in the stream", TABLE, STREAM, "INSERT INTO t VALUES (1, 'a')",
         "INSERT INTO t SELECT id + 10, v FROM s", Expect(CHANGES, [(11, "a", "INSERT", False)])),
    case("two streams on one table keep their own offsets", TABLE, STREAM, "CREATE STREAM s2 ON TABLE t",
         "CREATE TABLE sink (id INT)", "INSERT INTO t VALUES (1, 'a')", "INSERT INTO sink SELECT id FROM s",
         Expect(CHANGES, []), Expect("SELECT id, METADATA$ACTION FROM s2", [(1, "INSERT")])),
    case("recreating a stream resets it to now", TABLE, STREAM, "INSERT INTO t VALUES (1, 'a')",
         "CREATE OR REPLACE STREAM s ON TABLE t", Expect(CHANGES, [])),
]


# Section 1.5, explicit transactions: repeatable read up to the transaction start.
TRANSACTIONS = [
    case("inside a transaction the stream excludes the transaction's own changes", TABLE, STREAM,
         "INSERT INTO t VALUES (1, 'a')", "BEGIN", "INSERT INTO t VALUES (2, 'b')",
         Expect(CHANGES, [(1, "a", "INSERT", False)]), "COMMIT",
         Expect(CHANGES, [(1, "a", "INSERT", False), (2, "b", "INSERT", False)])),
    case("inside a transaction every read returns the same change set, even after consuming", TABLE, STREAM,
         "CREATE TABLE sink (id INT)", "INSERT INTO t VALUES (1, 'a')", "BEGIN",
         "INSERT INTO sink SELECT id FROM s", Expect(CHANGES, [(1, "a", "INSERT", False)]),
         "INSERT INTO sink SELECT id FROM s", "COMMIT", Expect(CHANGES, []),
         Expect("SELECT id FROM sink", [(1,), (1,)])),
    case("committing a consumption moves the offset to the transaction start, not past own changes", TABLE, STREAM,
         "CREATE TABLE sink (id INT)", "INSERT INTO t VALUES (1, 'a')", "BEGIN",
         "INSERT INTO sink SELECT id FROM s", "INSERT INTO t VALUES (2, 'b')", "COMMIT",
         Expect(CHANGES, [(2, "b", "INSERT", False)])),
    case("DDL commits an open transaction", TABLE, STREAM, "CREATE TABLE sink (id INT)",
         "INSERT INTO t VALUES (1, 'a')", "BEGIN", "INSERT INTO sink SELECT id FROM s",
         "CREATE TABLE other (x INT)", "ROLLBACK", Expect(CHANGES, []), Expect("SELECT id FROM sink", [(1,)])),
]


ROW_IDS = [
    case("ROW_ID is the same in two streams on one table and differs between rows", TABLE, STREAM,
         "CREATE STREAM s2 ON TABLE t", "INSERT INTO t VALUES (1, 'a'), (2, 'b')",
         Expect("SELECT COUNT(*) FROM s JOIN s2 ON s.METADATA$ROW_ID = s2.METADATA$ROW_ID AND s.id = s2.id", [(2,)]),
         Expect("SELECT COUNT(DISTINCT METADATA$ROW_ID) FROM s", [(2,)])),
    case("ROW_ID stays with its row across consumption and updates", TABLE, STREAM,
         "CREATE TABLE seen (id INT, row_id STRING)", "INSERT INTO t VALUES (1, 'a')",
         "INSERT INTO seen SELECT id, METADATA$ROW_ID FROM s", "UPDATE t SET v = 'b'",
         Expect("SELECT COUNT(*) FROM s JOIN seen ON s.METADATA$ROW_ID = seen.row_id", [(2,)])),
]


APPEND_ONLY = [
    case("an append-only stream shows inserts with their as-inserted values", TABLE,
         "CREATE STREAM s ON TABLE t APPEND_ONLY = TRUE", "INSERT INTO t VALUES (1, 'a')",
         "UPDATE t SET v = 'b'", Expect(CHANGES, [(1, "a", "INSERT", False)])),
    case("an append-only stream keeps rows deleted after insertion", TABLE,
         "CREATE STREAM s ON TABLE t APPEND_ONLY = TRUE", "INSERT INTO t VALUES (1, 'a'), (2, 'b')",
         "DELETE FROM t WHERE id = 1", Expect(CHANGES, [(1, "a", "INSERT", False), (2, "b", "INSERT", False)])),
    case("an append-only stream ignores updates, deletes and truncates of older rows", TABLE,
         "INSERT INTO t VALUES (1, 'a'), (2, 'b')", "CREATE STREAM s ON TABLE t APPEND_ONLY = TRUE",
         "UPDATE t SET v = 'x' WHERE id = 1", "DELETE FROM t WHERE id = 2", "TRUNCATE TABLE t", Expect(CHANGES, [])),
]


INITIAL_ROWS = [
    case("SHOW_INITIAL_ROWS returns the existing rows as inserts the first time", TABLE,
         "INSERT INTO t VALUES (1, 'a'), (2, 'b')", "CREATE STREAM s ON TABLE t SHOW_INITIAL_ROWS = TRUE",
         Expect(CHANGES, [(1, "a", "INSERT", False), (2, "b", "INSERT", False)]),
         "CREATE TABLE sink (id INT)", "INSERT INTO sink SELECT id FROM s", Expect(CHANGES, []),
         "UPDATE t SET v = 'x' WHERE id = 1",
         Expect(CHANGES, [(1, "a", "DELETE", True), (1, "x", "INSERT", True)])),
]


STALENESS = [
    case("a stream whose table was replaced is stale", TABLE, STREAM, "CREATE OR REPLACE TABLE t (id INT, v STRING)",
         Fails("SELECT * FROM s", "stale")),
    case("a stream whose table was dropped cannot be read", TABLE, STREAM, "DROP TABLE t",
         Fails("SELECT * FROM s", "dropped")),
    case("a stream on a missing table is an error", Fails("CREATE STREAM s ON TABLE missing", "does not exist")),
    case("SYSTEM$STREAM_HAS_DATA follows pending changes", TABLE, STREAM,
         Expect("SELECT SYSTEM$STREAM_HAS_DATA('S')", [(False,)]), "INSERT INTO t VALUES (1, 'a')",
         Expect("SELECT SYSTEM$STREAM_HAS_DATA('S')", [(True,)]), "CREATE TABLE sink AS SELECT * FROM s",
         Expect("SELECT SYSTEM$STREAM_HAS_DATA('S')", [(False,)])),
]


# The documentation's worked examples (https://docs.snowflake.com/en/user-guide/streams-examples).
DOC_EXAMPLES = [
    case("basic example: members and member_check",
         "CREATE OR REPLACE TABLE members (id number(8) NOT NULL, name varchar(255) default NULL, fee number(3) NULL)",
         "CREATE OR REPLACE STREAM member_check ON TABLE members",
         "CREATE OR REPLACE TABLE signup (id number(8), dt DATE)",
         "INSERT INTO members (id,name,fee) VALUES (1,'Joe',0), (2,'Jane',0), (3,'George',0), (4,'Betty',0), "
         "(5,'Sally',0)",
         "INSERT INTO signup VALUES (1,'2018-01-01'), (2,'2018-02-15'), (3,'2018-05-01'), (4,'2018-07-16'), "
         "(5,'2018-08-21')",
         Expect("SELECT id, name, fee, METADATA$ACTION, METADATA$ISUPDATE FROM member_check",
                [(i, n, 0, "INSERT", False) for i, n in enumerate(["Joe", "Jane", "George", "Betty", "Sally"], 1)]),
         "MERGE INTO members m USING (SELECT id, dt FROM signup s WHERE DATEDIFF(day, '2018-08-15'::date, s.dt::DATE) "
         "< -30) s "
         "ON m.id = s.id WHEN MATCHED THEN UPDATE SET m.fee = 90",
         Expect("SELECT id, fee FROM members", [(1, 90), (2, 90), (3, 90), (4, 0), (5, 0)]),
         Expect("SELECT id, name, fee, METADATA$ACTION, METADATA$ISUPDATE FROM member_check",
                [(1, "Joe", 90, "INSERT", False), (2, "Jane", 90, "INSERT", False), (3, "George", 90, "INSERT", False),
                 (4, "Betty", 0, "INSERT", False), (5, "Sally", 0, "INSERT", False)]),
         "CREATE OR REPLACE TABLE members_prod (id number(8) NOT NULL, name varchar(255) default NULL, fee number(3) "
         "NULL)",
         "INSERT INTO members_prod(id,name,fee) SELECT id, name, fee FROM member_check "
         "WHERE METADATA$ACTION = 'INSERT'",
         Expect("SELECT * FROM member_check", []),
         "BEGIN",
         "UPDATE members SET fee = fee + 15 where fee > 0",
         Expect("SELECT * FROM member_check", []),
         "COMMIT",
         Expect("SELECT id, name, fee, METADATA$ACTION, METADATA$ISUPDATE FROM member_check",
                [(1, "Joe", 105, "INSERT", True), (2, "Jane", 105, "INSERT", True), (3, "George", 105, "INSERT", True),
                 (1, "Joe", 90, "DELETE", True), (2, "Jane", 90, "DELETE", True), (3, "George", 90, "DELETE", True)])),
    case("standard and append-only streams",
         "create or replace table t(id int, name string)",
         "create or replace stream delta_s on table t",
         "create or replace stream append_only_s on table t append_only=true",
         "insert into t values (0, 'charlie brown')", "insert into t values (1, 'lucy')",
         "insert into t values (2, 'linus')", "delete from t where id = '0'",
         Expect("select id, name, METADATA$ACTION, METADATA$ISUPDATE from delta_s",
                [(1, "lucy", "INSERT", False), (2, "linus", "INSERT", False)]),
         Expect("select id, name, METADATA$ACTION, METADATA$ISUPDATE from append_only_s",
                [(0, "charlie brown", "INSERT", False), (1, "lucy", "INSERT", False), (2, "linus", "INSERT", False)]),
         "create or replace table t2(id int, name string, stream_type string default NULL)",
         "insert into t2(id,name,stream_type) select id, name, 'delta stream' from delta_s",
         "insert into t2(id,name,stream_type) select id, name, 'append_only stream' from append_only_s",
         "update t set name = 'sally' where name = 'linus'",
         Expect("select id, name, METADATA$ACTION, METADATA$ISUPDATE from delta_s",
                [(2, "sally", "INSERT", True), (2, "linus", "DELETE", True)]),
         Expect("select * from append_only_s", [])),
]

ALL = NET_CHANGES + CONSUMPTION + TRANSACTIONS + ROW_IDS + APPEND_ONLY + INITIAL_ROWS + STALENESS + DOC_EXAMPLES


@pytest.mark.parametrize("item", ALL, ids=str)
def test_stream_case(backend, item) -> None:
    run_case_on(backend, item)
