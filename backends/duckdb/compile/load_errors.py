"""Which records of a staged file a table refuses, and Snowflake's words for the first one.

COPY INTO reads a file's fields as text and casts them on insert. ON_ERROR = CONTINUE and
SKIP_FILE_<n>[%] need to know, record by record, which would fail: a value that does not convert
to its column's type, a NULL in a NOT NULL column, a string longer than its VARCHAR(n). One DuckDB
query over the file's Arrow table answers it (TRY_CAST per column), so the good records load and
the bad are counted, as Snowflake does.
https://docs.snowflake.com/en/sql-reference/sql/copy-into-table#copy-options-copyoptions
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa
import sqlglot

from backends.duckdb.catalog.objects import Column
from backends.duckdb.sql import engine_errors
from backends.duckdb.sql.names import quote
from backends.duckdb.sql.types import column_type

#: The relation the file's rows are registered as while they are checked.
CHECKED_ROWS = "__snowsim_copy_rows"


@dataclass(frozen=True)
class LoadError:
    """The first refused record of a file, as COPY INTO's result reports it."""

    message: str
    line: int  # 1-based line of the file
    character: int  # 1-based position of the field in its line
    column_name: str  # Snowflake's form: "TABLE"["COLUMN":position]


def _snowflake_words(snowflake_type: str, value: str | None, column: Column) -> str:
    kind = snowflake_type.split("(")[0].upper()
    if value is None:
        return f"NULL result in a non-nullable column ({column.name})"
    if kind == "VARCHAR":
        return f"User character length limit ({snowflake_type[8:-1]}) exceeded by string '{value}'"
    noun = {"NUMBER": "Numeric value", "FLOAT": "Numeric value", "BOOLEAN": "Boolean value", "DATE": "Date",
            "TIME": "Time"}.get(kind, "Timestamp" if kind.startswith("TIMESTAMP") else "Value")
    return f"{noun} '{value}' is not recognized"


def refused_rows(duck: duckdb.DuckDBPyConnection, rows: pa.Table, columns: list[Column], table_name: str,
                 *, first_line: int) -> tuple[pa.Table, int, LoadError | None]:
    """The rows the table accepts, how many it refuses, and the first refused one's error.

    `rows` holds the file's fields as text under the columns' quoted names, in file order; `first_line`
    is the file line of its first row (after a header).
    """
    by_name = {quote(c.name): c for c in columns}
    tests = []
    for name in rows.column_names:
        column = by_name[name]
        ref = quote(name)  # the Arrow column is named by the quoted column name
        snowflake_type, duck_type, max_length = column_type(sqlglot.parse_one(column.type, into=sqlglot.exp.DataType,
                                                                              read="snowflake"))
        fails = [f"({ref} IS NOT NULL AND TRY_CAST({ref} AS {duck_type}) IS NULL)"] if duck_type != "VARCHAR" else []
        if max_length is not None:
            fails.append(f"length(CAST({ref} AS VARCHAR)) > {max_length}")
        if not column.nullable:
            fails.append(f"{ref} IS NULL")
        tests.append((name, column, snowflake_type, " OR ".join(fails) or "FALSE"))
    if not tests:
        return rows, 0, None
    duck.register(CHECKED_ROWS, rows)
    try:
        flags = ", ".join(f"({test}) AS {quote('bad_' + str(i))}" for i, (_, _, _, test) in enumerate(tests))
        checked = duck.sql(f"SELECT {flags} FROM {CHECKED_ROWS}").to_arrow_table()
    except duckdb.Error as failure:
        raise engine_errors.translate(failure) from failure
    finally:
        duck.unregister(CHECKED_ROWS)
    bad = [checked.column(f"bad_{i}").to_pylist() for i in range(len(tests))]
    refused = [any(b[r] for b in bad) for r in range(rows.num_rows)]
    count = sum(refused)
    if not count:
        return rows, 0, None
    first = refused.index(True)
    position = next(i for i in range(len(tests)) if bad[i][first])
    name, column, snowflake_type, _ = tests[position]
    values = [rows.column(n)[first].as_py() for n, *_ in tests]
    character = 1 + sum(len(str(v)) + 1 for v in values[:position] if v is not None)
    error = LoadError(_snowflake_words(snowflake_type, values[position], column), first_line + first, character,
                      f'"{table_name}"["{column.name}":{position + 1}]')
    kept = rows.filter(pa.array([not r for r in refused]))
    return kept, count, error
