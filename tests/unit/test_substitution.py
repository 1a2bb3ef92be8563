"""Session variables and IDENTIFIER(): statement in, statement and bind values out (sqlglot-style table)."""

from __future__ import annotations

import pytest

from backends.duckdb.sql.substitution import Variable, substitute
from backends.errors import ProgrammingError

VARIABLES = {"V": Variable(7, "fixed", 0, 0), "T": Variable("db.s.events", "text", 0, 0)}

CASES = [
    ("SELECT $v", [], "SELECT :1", [7]),
    ("SELECT :1, $v, :2", ["a", "b"], "SELECT :1, :3, :2", ["a", "b", 7]),
    ("SELECT * FROM IDENTIFIER('t')", [], "SELECT * FROM t", []),
    ("SELECT * FROM IDENTIFIER('\"Mixed\"')", [], 'SELECT * FROM "Mixed"', []),
    ("INSERT INTO IDENTIFIER(:1) VALUES (:2, :3)", ["t", 1, 2], "INSERT INTO t VALUES (:1, :2)", [1, 2]),
    ("SELECT :1 FROM IDENTIFIER(:2) WHERE x = :3", ["a", "t", "c"], "SELECT :1 FROM t WHERE x = :2", ["a", "c"]),
    ("SELECT * FROM identifier($t)", [], "SELECT * FROM db.s.events", []),
    # not variables: stage columns, METADATA$ columns, strings, quoted names, $$ bodies
    ("SELECT $1, METADATA$ACTION, '$v', \"$v\" FROM s", [], "SELECT $1, METADATA$ACTION, '$v', \"$v\" FROM s", []),
    ("CREATE FUNCTION f() AS $$ $v $$", [], "CREATE FUNCTION f() AS $$ $v $$", []),
]


@pytest.mark.parametrize(("sql", "values", "expected_sql", "expected_values"), CASES, ids=[c[0] for c in CASES])
def test_substitute(sql, values, expected_sql, expected_values) -> None:
    assert substitute(sql, values, VARIABLES) == (expected_sql, expected_values)


@pytest.mark.parametrize(("sql", "values", "message"), [
    ("SELECT $missing", [], "Session variable '$MISSING' does not exist"),
    ("SELECT * FROM IDENTIFIER(:1)", ["t; DROP TABLE t"], "invalid identifier"),
    ("SELECT * FROM IDENTIFIER(:1)", [42], "invalid identifier"),
    ("SELECT * FROM IDENTIFIER(:2)", ["t"], "Bind variable :2 not set"),
])
def test_substitute_refuses(sql, values, message) -> None:
    with pytest.raises(ProgrammingError, match=message.replace("$", r"\$")):
        substitute(sql, values, VARIABLES)
