"""DuckDB macros for Snowflake functions whose result type depends on the argument's type.

DuckDB 2.0 overloads macros by parameter type, so DATEADD(day, 1, <DATE>) can stay a DATE
while DATEADD(day, 1, <TIMESTAMP>) stays a timestamp, as in Snowflake
(https://docs.snowflake.com/en/sql-reference/functions/dateadd). Created once per account.
"""

from __future__ import annotations

MACROS = (
    # DATEADD / TIMESTAMPADD with a date part (year .. day): a DATE stays a DATE.
    """CREATE OR REPLACE MACRO snowsim_add_date_part(x DATE, i INTERVAL) AS CAST(x + i AS DATE),
        (x TIMESTAMP, i INTERVAL) AS x + i,
        (x TIMESTAMPTZ, i INTERVAL) AS x + i,
        (x VARCHAR, i INTERVAL) AS CAST(x AS TIMESTAMP) + i""",
    # DATE_TRUNC: a DATE truncates to a DATE.
    """CREATE OR REPLACE MACRO snowsim_date_trunc(part VARCHAR, x DATE) AS CAST(date_trunc(part, x) AS DATE),
        (part VARCHAR, x TIMESTAMP) AS date_trunc(part, x),
        (part VARCHAR, x TIMESTAMPTZ) AS date_trunc(part, x),
        (part VARCHAR, x VARCHAR) AS date_trunc(part, CAST(x AS TIMESTAMP))""",
)


def create_macros(duck: object) -> None:
    for sql in MACROS:
        duck.execute(sql)  # type: ignore[attr-defined]
