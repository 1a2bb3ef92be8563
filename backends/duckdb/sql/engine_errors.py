"""DuckDB errors translated into the connector's error classes, with Snowflake's codes where known.

This is the only place that reads DuckDB's error messages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import duckdb

from backends import errors
from backends.errors import EngineOutOfMemory, compilation_error

_RULES: list[tuple[type[duckdb.Error], re.Pattern[str], object]] = []


def _rule(kind: type[duckdb.Error], pattern: str):
    def register(build):
        _RULES.append((kind, re.compile(pattern, re.S), build))
        return build

    return register


@_rule(duckdb.BinderException, r'Referenced column "([^"]+)" not found')
def _invalid_identifier(m: re.Match, sql: str | None) -> errors.Error:
    return compilation_error(f"invalid identifier '{m.group(1)}'", errno=904, query=sql)


@_rule(duckdb.BinderException, r'(?:Values list|Table) "([^"]+)" does not have a column named "([^"]+)"')
def _no_such_column(m: re.Match, sql: str | None) -> errors.Error:
    return compilation_error(f"invalid identifier '{m.group(1).upper()}.{m.group(2)}'", errno=904, query=sql)


@_rule(duckdb.BinderException, r'Referenced table "([^"]+)" not found')
def _unknown_qualifier(m: re.Match, sql: str | None) -> errors.Error:
    return compilation_error(f"invalid identifier '{m.group(1).upper()}'", errno=904, query=sql)


@_rule(duckdb.CatalogException, r"with name ([^\s!]+) does not exist")
def _missing_object(m: re.Match, sql: str | None) -> errors.Error:
    return errors.object_does_not_exist(m.group(1).strip('"'), query=sql)


@_rule(duckdb.ConversionException,
       r"Could not convert string ['\"](.*?)['\"] to (?:INT|DECIMAL|DOUBLE|FLOAT|UINT|HUGE)")
def _numeric_not_recognized(m: re.Match, sql: str | None) -> errors.Error:
    return errors.DataError(
        f"Numeric value '{m.group(1)}' is not recognized", errno=100038, sqlstate="22018", query=sql
    )


@_rule(duckdb.ConversionException, r"(?:date field value out of range|invalid date field format): \"(.*?)\"")
def _date_not_recognized(m: re.Match, sql: str | None) -> errors.Error:
    return errors.DataError(f"Date '{m.group(1)}' is not recognized", errno=100040, sqlstate="22007", query=sql)


@_rule(duckdb.ConversionException, r"invalid timestamp field format: \"(.*?)\"")
def _timestamp_not_recognized(m: re.Match, sql: str | None) -> errors.Error:
    return errors.DataError(f"Timestamp '{m.group(1)}' is not recognized", errno=100035, sqlstate="22007", query=sql)


@_rule(duckdb.ConversionException, r"Unknown TimeZone '(.*?)'")
def _unknown_time_zone(m: re.Match, sql: str | None) -> errors.Error:
    return errors.DataError(f"Timestamp is not recognized: the time zone '{m.group(1)}' is unknown", errno=100035,
                            sqlstate="22007", query=sql)


@_rule(duckdb.ConstraintException, r"NOT NULL constraint failed: (\S+)")
def _not_null(m: re.Match, sql: str | None) -> errors.Error:
    return errors.IntegrityError(
        f"NULL result in a non-nullable column ({m.group(1).split('.')[-1]})", errno=100072, sqlstate="22000", query=sql
    )


@_rule(duckdb.ConstraintException, r"CHECK constraint failed.*?length\(\"?([^\")]+)\"?\) <= (\d+)")
def _string_too_long(m: re.Match, sql: str | None) -> errors.Error:
    return errors.DataError(
        f"String is too long and would be truncated (column {m.group(1)}, VARCHAR({m.group(2)}))",
        errno=100074, sqlstate="22000", query=sql,
    )


@_rule(duckdb.InvalidInputException, r"cannot affect the same target row more than once")
def _duplicate_merge_row(m: re.Match, sql: str | None) -> errors.Error:
    return errors.duplicate_merge_row(query=sql)


@_rule(duckdb.InvalidInputException, r"Division by zero")
def _division_by_zero(m: re.Match, sql: str | None) -> errors.Error:
    return errors.DataError("Division by zero", errno=100051, sqlstate="22012", query=sql)


@_rule(duckdb.InvalidInputException,
       r'Malformed JSON in file "(?:[^"]*/)?([^"/]+)", at byte \d+ in line (\d+): ([^.\n]*)')
def _bad_json_file(m: re.Match, sql: str | None) -> errors.Error:
    """A staged JSON file that does not parse, worded as Snowflake's COPY words it (file and line)."""
    return errors.DataError(f"Error parsing JSON: {m[3].strip()}  File '{m[1]}', line {m[2]}", errno=100069,
                            sqlstate="22000", query=sql)


#: DuckDB's names of functions the translation emits, as the user wrote them in Snowflake SQL.
_SNOWFLAKE_FUNCTION_NAMES = {"date_diff": "DATEDIFF", "date_add": "DATEADD", "str_split": "SPLIT",
                             "date_trunc": "DATE_TRUNC", "strftime": "TO_CHAR", "strptime": "TO_TIMESTAMP",
                             "json_type": "TYPEOF"}


@_rule(duckdb.BinderException, r"No function matches the given name and argument types '(\w+)\(")
def _invalid_argument_types(m: re.Match, sql: str | None) -> errors.Error:
    name = _SNOWFLAKE_FUNCTION_NAMES.get(m[1].lower(), m[1].upper())
    return compilation_error(f"Invalid argument types for function '{name}'", errno=1044, sqlstate="42P13",
                             query=sql)


@_rule(duckdb.BinderException, r"table \S+ has (\d+) columns but (\d+) values were supplied")
def _insert_width(m: re.Match, sql: str | None) -> errors.Error:
    return compilation_error(f"Insert value list does not match column list expecting {m[1]} but got {m[2]}",
                             errno=2020, sqlstate="21S01", query=sql)


@_rule(duckdb.BinderException, r"(?:HAVING|WHERE|GROUP BY) clause cannot contain window functions")
def _misplaced_window_function(m: re.Match, sql: str | None) -> errors.Error:
    return compilation_error("Window function appears outside of SELECT, QUALIFY, and ORDER BY clauses.",
                             errno=1003, query=sql)


@_rule(duckdb.InvalidInputException, r"snowsim-unsupported: ([^\n]*)")
def _refused_in_a_function(m: re.Match, sql: str | None) -> errors.Error:
    return errors.NotSupportedError(m.group(1), query=sql)


@_rule(duckdb.InvalidInputException, r"(Error parsing JSON: [^\n]*)")
def _lenient_json_error(m: re.Match, sql: str | None) -> errors.Error:
    return errors.DataError(m.group(1), errno=100069, sqlstate="22000", query=sql)


@_rule(duckdb.InvalidInputException, r"Malformed JSON")
def _bad_json(m: re.Match, sql: str | None) -> errors.Error:
    return errors.DataError("Error parsing JSON: the text is not a JSON document", errno=100069, sqlstate="22000",
                            query=sql)


#: What an engine error no rule matches becomes: never DuckDB's own words (the DuckDB error stays the cause).
_FALLBACK: dict[type[duckdb.Error], Any] = {
    duckdb.ConversionException: lambda sql: errors.DataError(
        "A value could not be converted to the type the statement needs", errno=100038, sqlstate="22018", query=sql),
    duckdb.ConstraintException: lambda sql: errors.IntegrityError(
        "A constraint of the table was violated", errno=100072, sqlstate="22000", query=sql),
    duckdb.TransactionException: lambda sql: errors.OperationalError(
        "The statement conflicted with another transaction and was aborted", errno=625, sqlstate="57014", query=sql),
    duckdb.OutOfRangeException: lambda sql: errors.DataError(
        "Number out of representable range", errno=100046, sqlstate="22003", query=sql),
}


def translate(error: duckdb.Error, *, sql: str | None = None) -> errors.Error | EngineOutOfMemory:
    """The connector-shaped error for a DuckDB error (EngineOutOfMemory when DuckDB ran out of memory).

    An error no rule knows is one the emulator's translation did not foresee: a NotSupportedError
    (or the data error of its kind) in Snowflake's terms, with DuckDB's message kept as the cause only.
    """
    message = str(error)
    if isinstance(error, duckdb.OutOfMemoryException):
        return EngineOutOfMemory(f"the emulator's DuckDB ran out of memory: {message.splitlines()[0]}")
    for kind, pattern, build in _RULES:
        if isinstance(error, kind):
            match = pattern.search(message)
            if match:
                return build(match, sql)  # type: ignore[operator]
    for kind, build in _FALLBACK.items():
        if isinstance(error, kind):
            return build(sql)
    return errors.NotSupportedError(
        "this statement", detail="the emulator's translation of it does not run on its engine", query=sql)


def execute(duck: duckdb.DuckDBPyConnection, sql: str, args: Sequence[Any] | None = None) -> duckdb.DuckDBPyConnection:
    """Run DuckDB SQL the emulator built; a DuckDB error comes back as the emulator's own."""
    try:
        return duck.execute(sql, args)
    except duckdb.Error as error:
        raise translate(error, sql=sql) from error


def run_in_transaction(duck: duckdb.DuckDBPyConnection, statements: Sequence[str]) -> None:
    """Run DDL statements in one DuckDB transaction (DDL is transactional in DuckDB): all or none."""
    duck.execute("BEGIN TRANSACTION")
    try:
        for sql in statements:
            duck.execute(sql)
        duck.execute("COMMIT")
    except duckdb.Error as error:
        duck.execute("ROLLBACK")
        raise translate(error, sql=statements[-1] if statements else None) from error
