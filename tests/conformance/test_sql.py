"""Snowflake SQL beyond streams: names, types, DDL, DML results, MERGE, transactions, errors."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from .cases import Expect, Fails, case, run_case_on

CASES = [
    # names
    case("unquoted identifiers are case-insensitive", "CREATE TABLE Mixed (Id INT)",
         "INSERT INTO MIXED (ID) VALUES (1)",
         Expect("SELECT id FROM mixed", [(1,)])),
    case("quoted identifiers keep their case", 'CREATE TABLE "lower" ("col" INT)', "INSERT INTO \"lower\" VALUES (1)",
         Expect('SELECT "col" FROM "lower"', [(1,)]), Fails("SELECT col FROM \"lower\"", "invalid identifier")),
    case("two- and three-part names", "CREATE DATABASE other_db", "CREATE SCHEMA other_db.s2",
         "CREATE TABLE other_db.s2.t (x INT)", "INSERT INTO other_db.s2.t VALUES (7)",
         "USE SCHEMA other_db.s2", Expect("SELECT x FROM t", [(7,)]), Expect("SELECT x FROM s2.t", [(7,)]),
         Expect("SELECT x FROM other_db.s2.t", [(7,)])),
    case("CREATE DATABASE and CREATE SCHEMA make the new object current", "CREATE DATABASE d2",
         Expect("SELECT CURRENT_DATABASE(), CURRENT_SCHEMA()", [("D2", "PUBLIC")]), "CREATE SCHEMA raw",
         Expect("SELECT CURRENT_SCHEMA()", [("RAW",)])),
    case("CURRENT_VERSION() is a dotted version; CURRENT_WAREHOUSE() the session's",
         Expect("SELECT CURRENT_VERSION() LIKE '%.%.%', CURRENT_WAREHOUSE() IS NOT DISTINCT FROM "
                "(SELECT CURRENT_WAREHOUSE())", [(True, True)])),
    case("comments anywhere in SHOW and DESCRIBE are ignored", "CREATE TABLE t (a INT)",
         Expect("DESC TABLE /* who asks */ t -- trailing", [("A",)], columns=("name",)),
         Expect("SHOW /* x */ TABLES LIKE 'T'", [("T",)], columns=("name",))),
    case("a missing table is Snowflake's 002003", Fails("SELECT * FROM nowhere", "does not exist or not authorized")),
    case("FROM DUAL is one row; a quoted \"DUAL\" names a table", Expect("SELECT 1 + 1 AS two FROM dual", [(2,)]),
         'CREATE TABLE "DUAL" (a INT)', 'INSERT INTO "DUAL" VALUES (7), (8)',
         Expect("SELECT COUNT(*) FROM DUAL", [(1,)]), Expect('SELECT SUM(a) FROM "DUAL"', [(15,)])),
    case("a missing column is an invalid identifier", "CREATE TABLE t (a INT)",
         Fails("SELECT b FROM t", "invalid identifier")),
    # types and columns
    case("types round-trip",
         "CREATE TABLE t (i INT, n NUMBER(10,2), f FLOAT, s STRING, b BOOLEAN, d DATE, ts TIMESTAMP_NTZ, v VARIANT)",
         "INSERT INTO t SELECT 1, 12.345, 1.5, 'x', TRUE, '2024-01-05', '2024-01-05 10:00:00', "
         "PARSE_JSON('{\"k\": [1]}')",
         Expect("SELECT i, n, f, s, b, d, ts, v:k[0]::INT FROM t",
                [(1, Decimal("12.35"), 1.5, "x", True, date(2024, 1, 5), datetime(2024, 1, 5, 10), 1)])),
    case("brackets index a VARIANT, ARRAY or OBJECT column from 0, and read keys",
         "CREATE TABLE t (v VARIANT, a ARRAY, o OBJECT, n INT)",
         "INSERT INTO t SELECT PARSE_JSON('[{\"id\": 28, \"name\": \"Action\"}, {\"id\": 12}]'), "
         "ARRAY_CONSTRUCT(10, 20, 30), OBJECT_CONSTRUCT('k', ARRAY_CONSTRUCT(1, 2)), 2",
         Expect("SELECT v[0]:name::STRING, v[1]:id::INT, a[0]::INT, a[2]::INT, a[n]::INT, a[3] IS NULL, "
                "o['k'][1]::INT, o:k[0]::INT FROM t", [("Action", 12, 10, 30, 30, True, 2, 1)])),
    case("TO_CHAR and TO_VARCHAR format date and timestamp columns",
         "CREATE TABLE t (d DATE, ts TIMESTAMP_NTZ)", "INSERT INTO t VALUES ('2024-01-05', '2024-03-09 14:05:06')",
         Expect("SELECT TO_CHAR(d, 'YYYYMMDD')::INT, TO_VARCHAR(ts, 'YYYY-MM-DD HH24:MI'), TO_CHAR(d, 'MON DD, YYYY') "
                "FROM t", [(20240105, "2024-03-09 14:05", "Jan 05, 2024")])),
    case("INT holds values beyond 32 bits", "CREATE TABLE t (i INT)", "INSERT INTO t VALUES (9000000000)",
         Expect("SELECT i * 2 FROM t", [(18000000000,)])),
    case("a computed column follows its inputs",
         "CREATE TABLE t (qty INT, price NUMBER(10,2), total NUMBER(10,2) AS (qty * price))",
         "INSERT INTO t (qty, price) VALUES (3, 2.50)", "UPDATE t SET qty = 4",
         Expect("SELECT total FROM t", [(Decimal("10.00"),)])),
    case("AUTOINCREMENT and IDENTITY draw numbers",
         "CREATE TABLE t (id INT AUTOINCREMENT START 10 INCREMENT 5, j INT IDENTITY(1, 1), v STRING)",
         "INSERT INTO t (v) VALUES ('a'), ('b')", Expect("SELECT id, j, v FROM t", [(10, 1, "a"), (15, 2, "b")])),
    case("DEFAULT fills missing columns", "CREATE TABLE t (a INT, b STRING DEFAULT 'none')",
         "INSERT INTO t (a) VALUES (1)", Expect("SELECT a, b FROM t", [(1, "none")])),
    case("PRIMARY KEY and UNIQUE are not enforced, NOT NULL is",
         "CREATE TABLE t (id INT PRIMARY KEY, u STRING UNIQUE, n STRING NOT NULL)",
         "INSERT INTO t VALUES (1, 'a', 'x'), (1, 'a', 'y')", Expect("SELECT COUNT(*) FROM t", [(2,)]),
         Fails("INSERT INTO t VALUES (2, 'b', NULL)", "NULL result in a non-nullable column"),
         Fails("INSERT INTO t (u, n) VALUES ('c', 'z')", "NULL result in a non-nullable column")),
    case("VARCHAR(n) rejects longer strings", "CREATE TABLE t (s VARCHAR(3))", "INSERT INTO t VALUES ('abc')",
         Fails("INSERT INTO t VALUES ('abcd')", "too long")),
    case("a bad number is not recognized", "CREATE TABLE t (i INT)",
         Fails("INSERT INTO t VALUES ('x')", "is not recognized")),
    # DDL
    case("CREATE TABLE IF NOT EXISTS keeps the table", "CREATE TABLE t (a INT)", "INSERT INTO t VALUES (1)",
         "CREATE TABLE IF NOT EXISTS t (b INT)", Expect("SELECT a FROM t", [(1,)])),
    case("CREATE OR REPLACE TABLE empties it", "CREATE TABLE t (a INT)", "INSERT INTO t VALUES (1)",
         "CREATE OR REPLACE TABLE t (a INT)", Expect("SELECT COUNT(*) FROM t", [(0,)])),
    case("CREATE TABLE without OR REPLACE on an existing name fails", "CREATE TABLE t (a INT)",
         Fails("CREATE TABLE t (a INT)", "already exists")),
    case("CREATE TABLE AS SELECT names columns from the query", "CREATE TABLE src (a INT)", "INSERT INTO src VALUES "
                                                                                            "(1), (2)",
         "CREATE TABLE t AS SELECT a, a * 10 AS b FROM src", Expect("SELECT a, b FROM t", [(1, 10), (2, 20)])),
    case("views see the current data", "CREATE TABLE t (a INT)", "CREATE VIEW v AS SELECT a * 2 AS doubled FROM t",
         "INSERT INTO t VALUES (4)", Expect("SELECT doubled FROM v", [(8,)])),
    case("ALTER TABLE adds, renames and drops columns", "CREATE TABLE t (a INT)", "INSERT INTO t VALUES (1)",
         "ALTER TABLE t ADD COLUMN b STRING DEFAULT 'x'", "ALTER TABLE t RENAME COLUMN a TO c",
         Expect("SELECT c, b FROM t", [(1, "x")]), "ALTER TABLE t DROP COLUMN b", Expect("SELECT * FROM t", [(1,)])),
    case("ALTER TABLE RENAME TO", "CREATE TABLE t (a INT)", "INSERT INTO t VALUES (1)", "ALTER TABLE t RENAME TO u",
         Expect("SELECT a FROM u", [(1,)]), Fails("SELECT a FROM t", "does not exist")),
    case("altering a tracked table keeps its stream working", "CREATE TABLE t (a INT)", "CREATE STREAM s ON TABLE t",
         "INSERT INTO t VALUES (1)", "ALTER TABLE t ADD COLUMN b STRING", "ALTER TABLE t RENAME TO u",
         "INSERT INTO u VALUES (2, 'x')",
         Expect("SELECT a, b, METADATA$ACTION FROM s", [(1, None, "INSERT"), (2, "x", "INSERT")])),
    case("DROP TABLE and DROP ... IF EXISTS", "CREATE TABLE t (a INT)", "DROP TABLE t", "DROP TABLE IF EXISTS t",
         Fails("DROP TABLE t", "does not exist")),
    case("TRUNCATE empties a table", "CREATE TABLE t (a INT)", "INSERT INTO t VALUES (1)", "TRUNCATE TABLE t",
         Expect("SELECT COUNT(*) FROM t", [(0,)])),
    # DML results
    case("INSERT reports the rows inserted", "CREATE TABLE t (a INT)",
         Expect("INSERT INTO t VALUES (1), (2)", [(2,)])),
    case("UPDATE reports updated and multi-joined rows", "CREATE TABLE t (a INT, v STRING)",
         "INSERT INTO t VALUES (1, 'x'), (2, 'y')", Expect("UPDATE t SET v = 'z' WHERE a = 1", [(1, 0)])),
    case("DELETE reports the rows deleted", "CREATE TABLE t (a INT)", "INSERT INTO t VALUES (1), (2), (3)",
         Expect("DELETE FROM t WHERE a > 1", [(2,)])),
    case("MERGE reports one count per kind of clause", "CREATE TABLE t (id INT, v STRING)",
         "INSERT INTO t VALUES (1, 'a'), (2, 'b')",
         Expect("MERGE INTO t USING (SELECT 1 AS id, 'A' AS v UNION ALL SELECT 3, 'c') s ON t.id = s.id "
                "WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.v)",
                [(1, 1)]),
         Expect("SELECT id, v FROM t", [(1, "A"), (2, "b"), (3, "c")])),
    case("MERGE into a tracked table reports one count per kind of clause", "CREATE TABLE t (id INT, v STRING)",
         "INSERT INTO t VALUES (1, 'a'), (2, 'b')", "CREATE STREAM st ON TABLE t",
         Expect("MERGE INTO t USING (SELECT 1 AS id, 'A' AS v UNION ALL SELECT 2, 'x' UNION ALL SELECT 3, 'c') s "
                "ON t.id = s.id WHEN MATCHED AND s.v = 'x' THEN DELETE WHEN MATCHED THEN UPDATE SET v = s.v "
                "WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.v)", [(1, 1, 1)]),
         Expect("SELECT id, v FROM t ORDER BY id", [(1, "A"), (3, "c")])),
    case("MERGE with duplicate source rows for one target row fails", "CREATE TABLE t (id INT, v STRING)",
         "INSERT INTO t VALUES (1, 'a')",
         Fails("MERGE INTO t USING (SELECT 1 AS id, 'x' AS v UNION ALL SELECT 1, 'y') s ON t.id = s.id "
               "WHEN MATCHED THEN UPDATE SET v = s.v", "Duplicate row"),
         Expect("SELECT v FROM t", [("a",)])),
    case("MERGE with duplicate matches fails on a tracked table too", "CREATE TABLE t (id INT, v STRING)",
         "INSERT INTO t VALUES (1, 'a')", "CREATE STREAM st ON TABLE t",
         Fails("MERGE INTO t USING (SELECT 1 AS id, 'x' AS v UNION ALL SELECT 1, 'y') s ON t.id = s.id "
               "WHEN MATCHED AND s.v = 'x' THEN DELETE WHEN MATCHED THEN UPDATE SET v = s.v", "Duplicate row"),
         Expect("SELECT v FROM t", [("a",)]), Expect("SELECT COUNT(*) FROM st", [(0,)])),
    case("MERGE whose duplicate matches all DELETE is deterministic", "CREATE TABLE t (id INT, v STRING)",
         "INSERT INTO t VALUES (1, 'a'), (2, 'b')",
         Expect("MERGE INTO t USING (SELECT 1 AS id UNION ALL SELECT 1) s ON t.id = s.id WHEN MATCHED THEN DELETE",
                [(1,)]),
         Expect("SELECT id FROM t", [(2,)])),
    case("MERGE into a tracked table whose duplicate matches all DELETE or fail their condition is deterministic",
         "CREATE TABLE t (id INT, v STRING)", "INSERT INTO t VALUES (1, 'a'), (2, 'b')", "CREATE STREAM st ON TABLE t",
         Expect("MERGE INTO t USING (SELECT 1 AS id, 'x' AS v UNION ALL SELECT 1, 'x' UNION ALL SELECT 2, 'y' "
                "UNION ALL SELECT 2, 'z') s ON t.id = s.id WHEN MATCHED AND s.v = 'x' THEN DELETE "
                "WHEN MATCHED AND s.v = 'y' THEN UPDATE SET v = s.v", [(1, 1)]),
         Expect("SELECT id, v FROM t", [(2, "y")]), Expect("SELECT COUNT(*) FROM st", [(3,)])),
    case("MERGE where one duplicate match passes the clause condition is deterministic",
         "CREATE TABLE t (id INT, v STRING)", "INSERT INTO t VALUES (1, 'a')",
         Expect("MERGE INTO t USING (SELECT 1 AS id, 'x' AS v UNION ALL SELECT 1, 'y') s ON t.id = s.id "
                "WHEN MATCHED AND s.v = 'x' THEN UPDATE SET v = s.v", [(1,)]),
         Expect("SELECT v FROM t", [("x",)])),
    case("UPDATE ... FROM joins another table", "CREATE TABLE t (id INT, v STRING)",
         "CREATE TABLE u (id INT, v STRING)",
         "INSERT INTO t VALUES (1, 'a'), (2, 'b')", "INSERT INTO u VALUES (2, 'B')",
         "UPDATE t SET v = u.v FROM u WHERE t.id = u.id", Expect("SELECT id, v FROM t", [(1, "a"), (2, "B")])),
    case("INSERT OVERWRITE replaces the rows", "CREATE TABLE t (a INT)", "INSERT INTO t VALUES (1)",
         "INSERT OVERWRITE INTO t VALUES (2), (3)", Expect("SELECT a FROM t", [(2,), (3,)])),
    case("CTEs, subqueries and set operations", "CREATE TABLE t (a INT)", "INSERT INTO t VALUES (1), (2), (3)",
         Expect("WITH big AS (SELECT a FROM t WHERE a > 1) SELECT a FROM big WHERE a IN (SELECT MAX(a) FROM t)",
                [(3,)]),
         Expect("SELECT a FROM t WHERE a = 1 UNION ALL SELECT a FROM t WHERE a = 1", [(1,), (1,)])),
    case("ORDER BY ALL sorts by every selected column, not beside aggregates", "CREATE TABLE t (a INT, b STRING)",
         "INSERT INTO t VALUES (2, 'x'), (1, 'z'), (1, 'y')",
         Expect("SELECT a, b FROM t ORDER BY ALL", [(1, "y"), (1, "z"), (2, "x")], ordered=True),
         Expect("SELECT a, b FROM t ORDER BY ALL DESC", [(2, "x"), (1, "z"), (1, "y")], ordered=True),
         Fails("SELECT a, COUNT(*) FROM t GROUP BY a ORDER BY ALL", "ORDER BY ALL")),
    # transactions
    case("ROLLBACK discards and COMMIT keeps", "CREATE TABLE t (a INT)", "BEGIN", "INSERT INTO t VALUES (1)",
         "ROLLBACK",
         Expect("SELECT COUNT(*) FROM t", [(0,)]), "BEGIN TRANSACTION", "INSERT INTO t VALUES (2)", "COMMIT",
         Expect("SELECT a FROM t", [(2,)])),
    case("START TRANSACTION begins a transaction", "CREATE TABLE t (a INT)", "START TRANSACTION",
         "INSERT INTO t VALUES (1)", "ROLLBACK", Expect("SELECT COUNT(*) FROM t", [(0,)])),
    case("a compile error inside a transaction leaves it usable", "CREATE TABLE t (a INT)", "BEGIN",
         "INSERT INTO t VALUES (1)", Fails("SELECT nope FROM t", "invalid identifier"), "INSERT INTO t VALUES (2)",
         "COMMIT", Expect("SELECT a FROM t", [(1,), (2,)])),
]


@pytest.mark.parametrize("item", CASES, ids=str)
def test_sql_case(backend, item) -> None:
    run_case_on(backend, item)
