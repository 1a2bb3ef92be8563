"""Splitting scripts into statements: semicolons inside Snowflake Scripting blocks do not split."""

from __future__ import annotations

import pytest

from backends.scripts import split_statements

CASES = [
    ("SELECT 1; SELECT 2;", ["SELECT 1", "SELECT 2"]),
    ("SELECT ';'; -- a ; comment\nSELECT 2", ["SELECT ';'", "SELECT 2"]),
    ("BEGIN; INSERT INTO t VALUES (1); COMMIT;", ["BEGIN", "INSERT INTO t VALUES (1)", "COMMIT"]),
    ("BEGIN TRANSACTION; SELECT 1; COMMIT", ["BEGIN TRANSACTION", "SELECT 1", "COMMIT"]),
    ("CREATE TASK t AS BEGIN INSERT INTO a VALUES (1); INSERT INTO b VALUES (2); END; SELECT 3",
     ["CREATE TASK t AS BEGIN INSERT INTO a VALUES (1); INSERT INTO b VALUES (2); END", "SELECT 3"]),
    ("CREATE TASK t AS BEGIN BEGIN TRANSACTION; SELECT CASE WHEN x THEN 1 END; COMMIT; END; SELECT 4",
     ["CREATE TASK t AS BEGIN BEGIN TRANSACTION; SELECT CASE WHEN x THEN 1 END; COMMIT; END", "SELECT 4"]),
    ("SELECT CASE WHEN a THEN 1 END; SELECT 5", ["SELECT CASE WHEN a THEN 1 END", "SELECT 5"]),
]


@pytest.mark.parametrize(("script", "statements"), CASES)
def test_split(script, statements) -> None:
    assert split_statements(script) == statements
