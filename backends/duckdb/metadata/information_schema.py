"""INFORMATION_SCHEMA table functions: TASK_HISTORY, DYNAMIC_TABLE_REFRESH_HISTORY, ...

`TABLE(INFORMATION_SCHEMA.F(ARG => value, ...))` becomes a subquery over an Arrow table that F
builds from the emulator's state when the statement runs; the arguments become its filter, order
and limit. Argument names are checked at compile time: a wrong one (the reference pipeline's
`TABLE_NAME =>` for DYNAMIC_TABLE_REFRESH_HISTORY) is an error naming the accepted arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from sqlglot import exp

from backends.errors import compilation_error

if TYPE_CHECKING:
    from backends.clock import Millis
    from backends.duckdb.session.session import Account

TIMESTAMP = pa.timestamp("ms", tz="UTC")
SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000


@dataclass(frozen=True)
class Argument:
    name: str
    #: SQL condition on the function's rows, `{}` standing for the argument's value (None: not a filter).
    condition: str | None = None
    kind: str = "expression"  # "expression", "limit" or "flag"


@dataclass
class TableFunction:
    name: str
    schema: pa.Schema
    rows: Callable[[Account], list[dict[str, Any]]]
    arguments: list[Argument]
    order_by: str
    default_limit: int | None = 100
    #: A condition always applied (the function's window), if any.
    window: str | None = None
    required: list[str] = field(default_factory=list)
    #: Arguments' values when not given (DuckDB SQL; `{now}` is the clock), e.g. a default time window.
    defaults: dict[str, str] = field(default_factory=dict)
    #: Columns Snowflake types VARIANT; the rows carry them as JSON text.
    variant_columns: list[str] = field(default_factory=list)

    @property
    def view(self) -> str:
        return f"__snowsim_{self.name.lower()}"

    def arrow(self, account: Account) -> pa.Table:
        return pa.Table.from_pylist(self.rows(account), schema=self.schema)


def _task_history_rows(account: Account) -> list[dict[str, Any]]:
    rows = []
    for run in account.tasks.history:
        rows.append({
            "QUERY_ID": run.query_id, "NAME": run.name, "DATABASE_NAME": run.database, "SCHEMA_NAME": run.schema,
            "QUERY_TEXT": run.query_text, "CONDITION_TEXT": run.condition_text, "STATE": run.state,
            "ERROR_CODE": run.error_code, "ERROR_MESSAGE": run.error_message, "SCHEDULED_TIME": run.scheduled_time,
            "QUERY_START_TIME": run.query_start_time, "NEXT_SCHEDULED_TIME": run.next_scheduled_time,
            "COMPLETED_TIME": run.completed_time, "ROOT_TASK_ID": run.root_task_id, "GRAPH_VERSION": 1,
            "RUN_ID": run.run_id, "RETURN_VALUE": None, "SCHEDULED_FROM": run.scheduled_from,
            "ATTEMPT_NUMBER": run.attempt_number, "CONFIG": None, "QUERY_HASH": None, "QUERY_HASH_VERSION": None,
            "QUERY_PARAMETERIZED_HASH": None, "QUERY_PARAMETERIZED_HASH_VERSION": None,
            "GRAPH_RUN_GROUP_ID": run.graph_run_group_id, "BACKFILL_INFO": None, "SPCS_JOB_ID": None,
        })
    return rows


TASK_HISTORY = TableFunction(
    "TASK_HISTORY",
    pa.schema([
        ("QUERY_ID", pa.string()), ("NAME", pa.string()), ("DATABASE_NAME", pa.string()), ("SCHEMA_NAME", pa.string()),
        ("QUERY_TEXT", pa.string()), ("CONDITION_TEXT", pa.string()), ("STATE", pa.string()),
        ("ERROR_CODE", pa.string()), ("ERROR_MESSAGE", pa.string()), ("SCHEDULED_TIME", TIMESTAMP),
        ("QUERY_START_TIME", TIMESTAMP), ("NEXT_SCHEDULED_TIME", TIMESTAMP), ("COMPLETED_TIME", TIMESTAMP),
        ("ROOT_TASK_ID", pa.string()), ("GRAPH_VERSION", pa.int64()), ("RUN_ID", pa.int64()),
        ("RETURN_VALUE", pa.string()), ("SCHEDULED_FROM", pa.string()), ("ATTEMPT_NUMBER", pa.int64()),
        ("CONFIG", pa.string()), ("QUERY_HASH", pa.string()), ("QUERY_HASH_VERSION", pa.int64()),
        ("QUERY_PARAMETERIZED_HASH", pa.string()), ("QUERY_PARAMETERIZED_HASH_VERSION", pa.int64()),
        ("GRAPH_RUN_GROUP_ID", pa.string()), ("BACKFILL_INFO", pa.string()), ("SPCS_JOB_ID", pa.string()),
    ]),
    _task_history_rows,
    [
        Argument("SCHEDULED_TIME_RANGE_START", '"SCHEDULED_TIME" >= ({})'),
        Argument("SCHEDULED_TIME_RANGE_END", '"SCHEDULED_TIME" < ({})'),
        Argument("RESULT_LIMIT", kind="limit"),
        Argument("TASK_NAME", 'UPPER("NAME") = UPPER({})'),
        Argument("ERROR_ONLY", "\"STATE\" IN ('FAILED', 'FAILED_AND_AUTO_SUSPENDED', 'CANCELLED')", kind="flag"),
        Argument("ROOT_TASK_ID", '"ROOT_TASK_ID" = ({})'),
        Argument("DATABASE_NAME", 'UPPER("DATABASE_NAME") = UPPER({})'),
        Argument("SCHEMA_NAME", 'UPPER("SCHEMA_NAME") = UPPER({})'),
    ],
    order_by='"SCHEDULED_TIME" DESC',
    window='"SCHEDULED_TIME" >= {now} - INTERVAL 7 DAY',
)


def _metering_rows(account: Account) -> list[dict[str, Any]]:
    from backends.duckdb.catalog.warehouses import hourly_credits

    now = account.clock.now()
    rows = []
    for warehouse in [*account.warehouses.values(), *account.dropped_warehouses]:
        for start, end, credits in hourly_credits(warehouse, now):
            rows.append({"START_TIME": start, "END_TIME": end, "WAREHOUSE_NAME": warehouse.name,
                         "CREDITS_USED": credits, "CREDITS_USED_COMPUTE": credits, "CREDITS_USED_CLOUD_SERVICES": 0.0})
    return rows


WAREHOUSE_METERING_HISTORY = TableFunction(
    "WAREHOUSE_METERING_HISTORY",
    pa.schema([("START_TIME", TIMESTAMP), ("END_TIME", TIMESTAMP), ("WAREHOUSE_NAME", pa.string()),
               ("CREDITS_USED", pa.float64()), ("CREDITS_USED_COMPUTE", pa.float64()),
               ("CREDITS_USED_CLOUD_SERVICES", pa.float64())]),
    _metering_rows,
    [
        Argument("DATE_RANGE_START", '"END_TIME" > ({})'),
        Argument("DATE_RANGE_END", '"START_TIME" < ({})'),
        Argument("WAREHOUSE_NAME", 'UPPER("WAREHOUSE_NAME") = UPPER({})'),
    ],
    order_by='"START_TIME"',
    default_limit=None,
    required=["DATE_RANGE_START"],
)

def _serverless_task_rows(account: Account) -> list[dict[str, Any]]:
    """Serverless task compute by hour, as SERVERLESS_TASK_HISTORY reports it (credits include the 0.9 multiplier)."""
    hour = 3_600_000
    buckets: dict[tuple[Millis, str], dict[str, Any]] = {}
    for usage in account.tasks.serverless_usage:
        bucket = usage.start - usage.start % hour
        row = buckets.setdefault((bucket, usage.task_uid), {
            "START_TIME": bucket, "END_TIME": bucket + hour, "TASK_ID": usage.task_id, "TASK_NAME": usage.name,
            "DATABASE_NAME": usage.database, "SCHEMA_NAME": usage.schema, "CREDITS_USED": 0.0,
        })
        row["CREDITS_USED"] += usage.credits
    return list(buckets.values())


SERVERLESS_TASK_HISTORY = TableFunction(
    "SERVERLESS_TASK_HISTORY",
    pa.schema([("START_TIME", TIMESTAMP), ("END_TIME", TIMESTAMP), ("TASK_ID", pa.string()), ("TASK_NAME", pa.string()),
               ("DATABASE_NAME", pa.string()), ("SCHEMA_NAME", pa.string()), ("CREDITS_USED", pa.float64())]),
    _serverless_task_rows,
    [
        Argument("DATE_RANGE_START", '"END_TIME" > ({})'),
        Argument("DATE_RANGE_END", '"START_TIME" < ({})'),
        Argument("TASK_NAME", 'UPPER("TASK_NAME") = UPPER({})'),
    ],
    order_by='"START_TIME"',
    default_limit=None,
    window='"END_TIME" > {now} - INTERVAL 14 DAY',
)


def _refresh_rows(account: Account) -> list[dict[str, Any]]:
    return [refresh.row() for refresh in account.dynamic_tables.history]


DYNAMIC_TABLE_REFRESH_HISTORY = TableFunction(
    "DYNAMIC_TABLE_REFRESH_HISTORY",
    pa.schema([
        ("NAME", pa.string()), ("SCHEMA_NAME", pa.string()), ("DATABASE_NAME", pa.string()), ("STATE", pa.string()),
        ("STATE_CODE", pa.string()), ("STATE_MESSAGE", pa.string()), ("QUERY_ID", pa.string()),
        ("DATA_TIMESTAMP", TIMESTAMP), ("REFRESH_START_TIME", TIMESTAMP), ("REFRESH_END_TIME", TIMESTAMP),
        ("COMPLETION_TARGET", TIMESTAMP), ("QUALIFIED_NAME", pa.string()), ("LAST_COMPLETED_DEPENDENCY", pa.string()),
        ("STATISTICS", pa.string()), ("REFRESH_ACTION", pa.string()), ("REINIT_REASON", pa.string()),
        ("REFRESH_TRIGGER", pa.string()), ("TARGET_LAG_SEC", pa.int64()), ("GRAPH_HISTORY_VALID_FROM", TIMESTAMP),
        ("INPUTS_WITH_CHANGED_DATA", pa.string()),
    ]),
    _refresh_rows,
    [
        Argument("DATA_TIMESTAMP_START", '"DATA_TIMESTAMP" >= ({})'),
        Argument("DATA_TIMESTAMP_END", '"DATA_TIMESTAMP" < ({})'),
        Argument("RESULT_LIMIT", kind="limit"),
        Argument("NAME", '(UPPER("NAME") = UPPER({0}) OR UPPER("QUALIFIED_NAME") = UPPER({0}))'),
        Argument("NAME_PREFIX", 'STARTS_WITH(UPPER("QUALIFIED_NAME"), UPPER({}))'),
        Argument("ERROR_ONLY", "\"STATE\" IN ('FAILED', 'UPSTREAM_FAILED', 'CANCELLED')", kind="flag"),
    ],
    order_by='"DATA_TIMESTAMP" DESC',
    window='"DATA_TIMESTAMP" >= {now} - INTERVAL 7 DAY',
    variant_columns=["STATISTICS", "LAST_COMPLETED_DEPENDENCY", "INPUTS_WITH_CHANGED_DATA"],
)

FUNCTIONS: dict[str, TableFunction] = {
    f.name: f for f in (TASK_HISTORY, WAREHOUSE_METERING_HISTORY, SERVERLESS_TASK_HISTORY, DYNAMIC_TABLE_REFRESH_HISTORY)
}


def register(function: TableFunction) -> None:
    """Add a table function (dynamic tables, Snowpipe and others register theirs)."""
    FUNCTIONS[function.name] = function


def function_call(node: exp.TableFromRows) -> tuple[str, exp.Anonymous] | None:
    """(function name, call) for `TABLE([db.]INFORMATION_SCHEMA.F(...))`, or None for other table functions."""
    target = node.this
    if isinstance(target, exp.Column) and target.table and target.table.upper() == "INFORMATION_SCHEMA":
        raise compilation_error(f"Unknown function INFORMATION_SCHEMA.{target.name.upper()}", errno=2140)
    if not isinstance(target, exp.Dot) or not isinstance(target.expression, exp.Anonymous):
        return None
    qualifier = target.this
    schema = qualifier.expression if isinstance(qualifier, exp.Dot) else qualifier
    if not isinstance(schema, exp.Identifier) or schema.this.upper() != "INFORMATION_SCHEMA":
        return None
    call = target.expression
    return str(call.this).upper(), call


def rewrite(node: exp.TableFromRows, generate: Callable[[exp.Expression], str], sql: str | None) -> TableFunction | None:
    """Replace `node` by a subquery over the function's rows; returns the function (for its rows at run time)."""
    found = function_call(node)
    if found is None:
        return None
    name, call = found
    function = FUNCTIONS.get(name)
    if function is None:
        raise compilation_error(f"Unknown function INFORMATION_SCHEMA.{name}", errno=2140, query=sql)
    accepted = {a.name: a for a in function.arguments}
    given: dict[str, exp.Expression] = {}
    for position, arg in enumerate(call.expressions):
        if not isinstance(arg, exp.Kwarg):  # positional: the documented argument order
            if len(given) != position or position >= len(function.arguments):  # after a named one, or too many
                raise compilation_error(
                    f"too many or misplaced positional arguments for INFORMATION_SCHEMA.{name}; "
                    f"expected, in order: {', '.join(accepted)}", errno=1044, query=sql,
                )
            given[function.arguments[position].name] = arg
            continue
        key = arg.this.name.upper()
        if key not in accepted:
            raise compilation_error(
                f"Invalid argument types for function '{name}': no argument named {key}; "
                f"it takes {', '.join(accepted)}", errno=1044, query=sql,
            )
        given[key] = arg.expression
    now = "getvariable('SNOWSIM_NOW')"
    for key, default in function.defaults.items():
        if key not in given:
            given[key] = exp.Var(this=default.format(now=now))
    for required in function.required:
        if required not in given:
            raise compilation_error(f"INFORMATION_SCHEMA.{name} requires the argument {required}", errno=1044, query=sql)
    conditions = [function.window.format(now=now)] if function.window else []
    limit = function.default_limit
    for key, value in given.items():
        argument = accepted[key]
        if argument.kind == "limit":
            if not (isinstance(value, exp.Literal) and not value.is_string and 1 <= int(value.this) <= 10_000):
                raise compilation_error(f"{key} must be a number from 1 to 10000", errno=1044, query=sql)
            limit = int(value.this)
        elif argument.kind == "flag":
            conditions.append(f"(NOT ({generate(value)}) OR {argument.condition})")
        else:
            conditions.append(argument.condition.format(generate(value.copy())))
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    columns = "*"
    if function.variant_columns:
        columns += " REPLACE (" + ", ".join(f'CAST("{c}" AS JSON) AS "{c}"' for c in function.variant_columns) + ")"
    text = f'SELECT {columns} FROM "{function.view}"{where} ORDER BY {function.order_by}' + (f" LIMIT {limit}" if limit else "")
    alias = node.args.get("alias")
    node.replace(exp.Subquery(this=exp.Var(this=text), alias=alias or exp.TableAlias(this=exp.to_identifier(name))))
    return function
