"""DuckDB macros for Snowflake functions whose result type depends on the argument's type.

DuckDB 2.0 overloads macros by parameter type, so DATEADD(day, 1, <DATE>) can stay a DATE
while DATEADD(day, 1, <TIMESTAMP>) stays a timestamp, as in Snowflake
(https://docs.snowflake.com/en/sql-reference/functions/dateadd). Created once per account.
"""

from __future__ import annotations

import hashlib

import duckdb

from backends.duckdb.sql.json_text import lenient_json


def _overloads(name: str, bodies: dict[str, str]) -> str:
    return f"CREATE OR REPLACE MACRO {name}" + ",\n".join(f"(x {kind}) AS {body}" for kind, body in bodies.items())


def _timestamp_macros() -> tuple[str, ...]:
    """snowsim_try_ntz/_tz give NULL for text that is not a timestamp; snowsim_to_ntz/_tz raise Snowflake's error.

    TIMESTAMP_NTZ ignores an offset in the text; TIMESTAMP_LTZ/_TZ keep the instant, text without an
    offset being in the session time zone; a number is seconds since the epoch, in UTC; a string of
    digits is seconds, milliseconds, microseconds or nanoseconds by its magnitude
    (https://docs.snowflake.com/en/sql-reference/functions/to_timestamp, usage notes).
    """
    digits = r"regexp_full_match(trim(x), '-?\d{1,20}')"
    epoch = "make_timestamp(snowsim_epoch_micros(CAST(trim(x) AS HUGEINT)))"
    seconds = "make_timestamp(CAST(round(x * 1000000) AS BIGINT))"
    # '... +0900' and '... +09:00', with or without a space, are offsets as Snowflake reads them.
    offset = r"TRY_CAST(regexp_replace(x, '\s*([+-]\d{2}):?(\d{2})\s*$', '\1:\2') AS TIMESTAMPTZ)"
    ntz = {
        "VARCHAR": f"CASE WHEN TRY_CAST(x AS TIMESTAMP) IS NOT NULL THEN TRY_CAST(x AS TIMESTAMP) "
                   f"WHEN {digits} THEN {epoch} END",
        "DATE": "CAST(x AS TIMESTAMP)", "TIMESTAMP": "x", "TIMESTAMPTZ": "CAST(x AS TIMESTAMP)", "DOUBLE": seconds,
    }
    tz = {
        "VARCHAR": f"CASE WHEN TRY_CAST(x AS TIMESTAMPTZ) IS NOT NULL THEN TRY_CAST(x AS TIMESTAMPTZ) "
                   f"WHEN {offset} IS NOT NULL THEN {offset} "
                   f"WHEN {digits} THEN {epoch} AT TIME ZONE 'UTC' END",
        "DATE": "CAST(x AS TIMESTAMPTZ)", "TIMESTAMP": "CAST(x AS TIMESTAMPTZ)", "TIMESTAMPTZ": "x",
        "DOUBLE": f"{seconds} AT TIME ZONE 'UTC'",
    }
    # CASE, not COALESCE: DuckDB then runs only the first test on text that casts (a third of the cost).
    # The raising forms end in the plain cast, whose conversion error becomes Snowflake's 100035; error()
    # would do too, but DuckDB counts it a side effect and then refuses select-list aliases over it.
    macros = []
    for suffix, bodies, target in (("ntz", ntz, "TIMESTAMP"), ("tz", tz, "TIMESTAMPTZ")):
        macros.append(_overloads(f"snowsim_try_{suffix}", bodies))
        raising = {**bodies, "VARCHAR": bodies["VARCHAR"].removesuffix(" END") + f" ELSE CAST(x AS {target}) END"}
        macros.append(_overloads(f"snowsim_to_{suffix}", raising))
    return tuple(macros)


MACROS = (
    # DATEADD / TIMESTAMPADD with a date part (year .. day): a DATE stays a DATE.
    """CREATE OR REPLACE MACRO snowsim_add_date_part(x DATE, i INTERVAL) AS CAST(x + i AS DATE),
        (x TIMESTAMP, i INTERVAL) AS x + i,
        (x TIMESTAMPTZ, i INTERVAL) AS x + i,
        (x VARCHAR, i INTERVAL) AS CAST(x AS TIMESTAMP) + i""",
    # DATEADD by a time part (hour .. nanosecond): a DATE or a string becomes a TIMESTAMP_NTZ.
    """CREATE OR REPLACE MACRO snowsim_add_time_part(x DATE, i INTERVAL) AS CAST(x AS TIMESTAMP) + i,
        (x TIMESTAMP, i INTERVAL) AS x + i,
        (x TIMESTAMPTZ, i INTERVAL) AS x + i,
        (x TIME, i INTERVAL) AS x + i,
        (x VARCHAR, i INTERVAL) AS CAST(x AS TIMESTAMP) + i""",
    # DATE_TRUNC: a DATE truncates to a DATE.
    """CREATE OR REPLACE MACRO snowsim_date_trunc(part VARCHAR, x DATE) AS CAST(date_trunc(part, x) AS DATE),
        (part VARCHAR, x TIMESTAMP) AS date_trunc(part, x),
        (part VARCHAR, x TIMESTAMPTZ) AS date_trunc(part, x),
        (part VARCHAR, x VARCHAR) AS date_trunc(part, CAST(x AS TIMESTAMP)),
        (part VARCHAR, x TIME) AS CAST(date_trunc(part, DATE '1970-01-01' + x) AS TIME)""",
    # Epoch digits to microseconds by magnitude: under a year of milliseconds they are seconds, and so on.
    """CREATE OR REPLACE MACRO snowsim_epoch_micros(n) AS CAST(CASE WHEN abs(n) < 31536000000 THEN n * 1000000
        WHEN abs(n) < 31536000000000 THEN n * 1000 WHEN abs(n) < 31536000000000000 THEN n ELSE n // 1000 END
        AS BIGINT)""",
    *_timestamp_macros(),
)


def _sha2(text: str, bits: int) -> str:
    """SHA2 with 224, 384 or 512 bits, which DuckDB does not have (it has SHA-256)."""
    if bits not in (224, 256, 384, 512):
        raise ValueError(f"SHA2 digest size {bits} is not one of 224, 256, 384, 512")
    return hashlib.new(f"sha{bits}", text.encode()).hexdigest()


def create_macros(duck: duckdb.DuckDBPyConnection) -> None:
    """The macros, and the few Python functions, every session's statements may call (cursors share them)."""
    for sql in MACROS:
        duck.execute(sql)
    duck.create_function("snowsim_sha2", _sha2, ["VARCHAR", "INTEGER"], "VARCHAR")
    duck.create_function("snowsim_lenient_json", lenient_json, ["VARCHAR", "BOOLEAN"], "VARCHAR",
                         null_handling="special")
