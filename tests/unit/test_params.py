"""Placeholder styles and INSERT literal lifting, as a table of input -> output."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backends.duckdb.sql.params import decode_string, lift_filter_literals, lift_insert_literals, normalize
from backends.errors import ProgrammingError

NORMALIZE = [
    ("pyformat", "SELECT %s, %s", (1, "a"), ("SELECT :1, :2", [1, "a"])),
    ("pyformat", "SELECT %(x)s + %(x)s", {"x": 5}, ("SELECT :1 + :2", [5, 5])),
    ("pyformat", "SELECT '%s' || %s", ("v",), ("SELECT '%s' || :1", ["v"])),
    ("pyformat", "SELECT 100 %% 7, %s", (1,), ("SELECT 100 % 7, :1", [1])),
    (
        "pyformat",
        "SELECT * FROM t WHERE id IN %s",
        ((1, 2, 3),),
        ("SELECT * FROM t WHERE id IN (:1, :2, :3)", [1, 2, 3]),
    ),
    ("pyformat", "SELECT 'a%' LIKE 'a%'", None, ("SELECT 'a%' LIKE 'a%'", [])),
    ("qmark", "SELECT ?, '?', ?", [1, 2], ("SELECT :1, '?', :2", [1, 2])),
    ("qmark", "SELECT ? -- a ? in a comment", [1], ("SELECT :1 -- a ? in a comment", [1])),
    ("numeric", "SELECT :2, :1", [1, 2], ("SELECT :2, :1", [1, 2])),
]


@pytest.mark.parametrize(("style", "sql", "params", "expected"), NORMALIZE)
def test_normalize(style, sql, params, expected) -> None:
    assert normalize(sql, params, style) == expected


@pytest.mark.parametrize(
    ("style", "sql", "params", "message"),
    [
        ("pyformat", "SELECT %s, %s", (1,), "no value|not enough"),
        ("pyformat", "SELECT %s", (1, 2), "2 values"),
        ("pyformat", "SELECT %(x)s", {"y": 1}, "no value for the parameter"),
        ("qmark", "SELECT ?", [1, 2], "1 '\\?' placeholders but 2"),
        ("qmark", "SELECT ?", {"a": 1}, "sequence"),
        ("bogus", "SELECT 1", [], "unknown paramstyle"),
    ],
)
def test_bad_binds_name_the_problem(style, sql, params, message) -> None:
    with pytest.raises(ProgrammingError, match=message):
        normalize(sql, params, style)


LIFT = [
    ("INSERT INTO t VALUES (1, 'a')", [], ("INSERT INTO t VALUES (:1, :2)", [1, "a"])),
    (
        "insert into t (a, b) values (-2.50, 'it''s')",
        [],
        ("insert into t (a, b) values (:1, :2)", [Decimal("-2.50"), "it's"]),
    ),
    ("INSERT INTO t VALUES (1, 'x'), (2, 'y')", [], ("INSERT INTO t VALUES (:1, :2), (:3, :4)", [1, "x", 2, "y"])),
    ("INSERT INTO t VALUES (:1, 'lit')", ["bound"], ("INSERT INTO t VALUES (:1, :2)", ["bound", "lit"])),
    ("INSERT INTO t VALUES (1e3, 'a,b)')", [], ("INSERT INTO t VALUES (:1, :2)", [1000.0, "a,b)"])),
    ("INSERT INTO t VALUES (PARSE_JSON('{}'), 1)", [], ("INSERT INTO t VALUES (PARSE_JSON('{}'), :1)", [1])),
    ("INSERT INTO t VALUES (NULL, 'a')", [], ("INSERT INTO t VALUES (NULL, :1)", ["a"])),
    ("INSERT INTO t VALUES ('1'::INT)", [], None),
    ("INSERT INTO t VALUES (1 + 1)", [], None),
    ("INSERT INTO t VALUES (:1 + 1, 'a')", [5], None),
    ("INSERT INTO t SELECT 1", [], None),
    ("SELECT 1", [], None),
]


@pytest.mark.parametrize(("sql", "values", "expected"), LIFT)
def test_lift_insert_literals(sql, values, expected) -> None:
    assert lift_insert_literals(sql, values) == expected


@pytest.mark.parametrize(
    ("literal", "value"),
    [("'plain'", "plain"), ("'it''s'", "it's"), (r"'a\nb'", "a\nb"), (r"'tab\there'", "tab\there"),
     (r"'back\\slash'", "back\\slash"),
     (r"'q\'q'", "q'q")],
)
def test_decode_string_follows_snowflake_escapes(literal, value) -> None:
    assert decode_string(literal) == value


def test_lifted_and_literal_inserts_store_the_same_values(snowsim_connection) -> None:
    cur = snowsim_connection.cursor()
    cur.execute("CREATE TABLE t (i INT, n NUMBER(10,2), s STRING, d DATE, f FLOAT)")
    cur.execute("INSERT INTO t VALUES (1, 2.505, 'it''s', '2024-02-29', 1e-3)")
    cur.execute("INSERT INTO t SELECT 1, 2.505, 'it''s', '2024-02-29'::DATE, 1e-3")
    rows = cur.execute("SELECT * FROM t").fetchall()
    assert rows[0] == rows[1]


LIFT_FILTERS = [
    ("SELECT n, COUNT(*) FROM t WHERE id < 50 GROUP BY n",
     ("SELECT n, COUNT(*) FROM t WHERE id < :1 GROUP BY n", [50])),
    ("SELECT a FROM t WHERE s = 'it''s' AND b IN (1, 'z') AND c BETWEEN 1 AND 2.5 AND d LIKE 'a%'",
     ("SELECT a FROM t WHERE s = :1 AND b IN (:2, :3) AND c BETWEEN :4 AND :5 AND d LIKE :6",
      ["it's", 1, "z", 1, Decimal("2.5"), "a%"])),
    ("UPDATE t SET v = 5 WHERE k = 3", ("UPDATE t SET v = 5 WHERE k = :1", [3])),
    ("SELECT * FROM a JOIN b ON a.x = b.x AND b.y = 10", ("SELECT * FROM a JOIN b ON a.x = b.x AND b.y = :1", [10])),
    ("SELECT * FROM t WHERE ts > '2024-01-01'::TIMESTAMP",
     ("SELECT * FROM t WHERE ts > :1::TIMESTAMP", ["2024-01-01"])),
    # left as written: no filter, a literal that is not compared, a subquery's own filter, binds already there
    ("SELECT 1, 'a' FROM t GROUP BY 1 ORDER BY 2", None),
    ("SELECT * FROM t WHERE TO_CHAR(d, 'YYYY') = x AND DATEADD('day', 1, d) > d", None),
    ("SELECT * FROM (SELECT * FROM t WHERE a = 1) s", None),
    ("SELECT * FROM t WHERE a = :1 AND b = 2", None),
    ("INSERT INTO t SELECT * FROM s WHERE a = 1", None),
]


@pytest.mark.parametrize(("sql", "expected"), LIFT_FILTERS)
def test_lift_filter_literals(sql, expected) -> None:
    assert lift_filter_literals(sql) == expected
