"""Property: whatever SQL a user sends, a failure is a Snowflake error with an errno, never DuckDB's words.

Statements are drawn from a small grammar of the supported subset (selects with expressions,
casts, functions, filters, grouping and ordering over a table of every common type; DML) and then
mutated (a token dropped, repeated, swapped or replaced), so most are wrong in some way. Each runs on
the emulator: it succeeds, or raises one of the emulator's error classes with Snowflake's errno and
sqlstate and a message free of engine text. Any other exception (a KeyError, a DuckDB error) is a bug.
"""

from __future__ import annotations

import os

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backends import duckdb as local
from backends.duckdb.sql import engine_errors
from backends.errors import Error
from tests.conformance.cases import ENGINE_TEXT

COLUMNS = ["i", "n", "f", "s", "b", "d", "ts", "v"]
LITERALS = ["1", "-2.5", "'x'", "'2024-01-05'", "'2024-01-05 10:00:00 +09:00'", "NULL", "TRUE",
            "PARSE_JSON('{\"k\": [1, 2]}')", "ARRAY_CONSTRUCT(1, 2)", "'1748179630'"]
TYPES = ["INT", "NUMBER(10,2)", "FLOAT", "VARCHAR", "BOOLEAN", "DATE", "TIMESTAMP_NTZ", "TIMESTAMP_TZ", "VARIANT",
         "ARRAY", "OBJECT", "BINARY", "TIME"]
FUNCTIONS = ["UPPER", "LOWER", "TRIM", "LENGTH", "ABS", "TO_DATE", "TO_TIMESTAMP", "TO_VARCHAR", "ARRAY_SIZE",
             "TYPEOF", "TRY_TO_TIMESTAMP", "PARSE_JSON", "TO_VARIANT", "SPLIT_PART", "DATEADD", "DATEDIFF",
             "IFF", "COALESCE", "HASH", "OBJECT_CONSTRUCT", "ROUND", "SUM", "COUNT", "MAX", "ARRAY_AGG"]
OPERATORS = ["+", "-", "*", "/", "||", "=", "<", ">=", "AND", "OR"]
KEYWORDS = ["SELECT", "FROM", "WHERE", "GROUP", "BY", "ORDER", "LIMIT", "(", ")", ",", "::", ":", "[", "]", "'",
            "JOIN", "ON", "AS", "CASE", "WHEN", "END", "QUALIFY", "OVER", "*", ";", "$x", "IDENTIFIER"]

atoms = st.sampled_from(COLUMNS + LITERALS)


@st.composite
def expressions(draw, depth: int = 2) -> str:
    if depth == 0:
        return draw(atoms)
    sub = expressions(depth=depth - 1)
    shape = draw(st.integers(0, 4))
    if shape == 0:
        return draw(atoms)
    if shape == 1:
        return f"{draw(sub)}::{draw(st.sampled_from(TYPES))}"
    if shape == 2:
        args = draw(st.lists(sub, min_size=1, max_size=3))
        return f"{draw(st.sampled_from(FUNCTIONS))}({', '.join(args)})"
    if shape == 3:
        return f"({draw(sub)} {draw(st.sampled_from(OPERATORS))} {draw(sub)})"
    return f"{draw(sub)}:k[0]"


@st.composite
def statements(draw) -> str:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        select = ", ".join(draw(st.lists(expressions(), min_size=1, max_size=3)))
        sql = f"SELECT {select} FROM t"
        if draw(st.booleans()):
            sql += f" WHERE {draw(expressions())}"
        if draw(st.booleans()):
            sql += f" GROUP BY {draw(st.sampled_from(COLUMNS))}"
        if draw(st.booleans()):
            sql += f" ORDER BY {draw(expressions(depth=1))} LIMIT {draw(st.integers(0, 3))}"
        return sql
    if kind == 1:
        return f"INSERT INTO t (i, s, v) SELECT {draw(expressions(1))}, {draw(expressions(1))}, {draw(expressions(1))}"
    if kind == 2:
        return f"UPDATE t SET {draw(st.sampled_from(COLUMNS))} = {draw(expressions(1))} WHERE {draw(expressions(1))}"
    return f"DELETE FROM t WHERE {draw(expressions())}"


@st.composite
def mutated(draw) -> str:
    tokens = draw(statements()).split(" ")
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(tokens) - 1))
        action = draw(st.integers(0, 3))
        if action == 0 and len(tokens) > 1:
            del tokens[at]
        elif action == 1:
            tokens.insert(at, tokens[at])
        elif action == 2:
            other = draw(st.integers(0, len(tokens) - 1))
            tokens[at], tokens[other] = tokens[other], tokens[at]
        else:
            tokens[at] = draw(st.sampled_from(KEYWORDS + LITERALS))
    return " ".join(tokens)


@pytest.fixture(scope="module")
def cursor():
    conn = local.connect()
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (i INT, n NUMBER(10,2), f FLOAT, s VARCHAR, b BOOLEAN, d DATE, ts TIMESTAMP_NTZ, "
                "v VARIANT)")
    cur.execute("INSERT INTO t SELECT 1, 2.5, 0.5, 'a', TRUE, '2024-01-05', '2024-01-05 10:00:00', "
                "PARSE_JSON('{\"k\": [1, 2]}')")
    yield cur
    conn.close()


#: SNOWSIM_FUZZ_EXAMPLES=3000 for a longer hunt; the suite's default stays a couple of seconds.
EXAMPLES = int(os.environ.get("SNOWSIM_FUZZ_EXAMPLES", "300"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sql=st.one_of(statements(), mutated()))
def test_every_failure_is_a_snowflake_error_without_engine_text(cursor, sql: str) -> None:
    try:
        cursor.execute(sql)
    except Error as error:
        assert error.errno > 0 and error.sqlstate, f"{sql!r}: {type(error).__name__} without errno/sqlstate: {error}"
        assert not ENGINE_TEXT.search(str(error)), f"{sql!r}: engine text reached the user: {error}"


@pytest.mark.parametrize("duck_sql", [
    "SELECT * FROM (SELECT 1) t HAVING sum(1) OVER () > 0",   # a binder error no rule names
    "SELECT CAST('abc' AS DATE)",                             # a conversion error
    "SELECT json('{bad')",                                    # malformed JSON
    "SELEC 1",                                                # a parser error
    "SELECT * FROM no_such_table_anywhere",                   # a catalog error
])
def test_an_engine_error_no_rule_names_is_still_worded_as_snowflake(duck_sql: str) -> None:
    with pytest.raises(duckdb.Error) as raised:
        duckdb.connect().execute(duck_sql)
    error = engine_errors.translate(raised.value, sql=duck_sql)
    assert isinstance(error, Error) and error.errno > 0 and error.sqlstate
    assert not ENGINE_TEXT.search(str(error)), str(error)
