"""CREATE / ALTER / DROP / SHOW WAREHOUSE. https://docs.snowflake.com/en/sql-reference/sql/create-warehouse"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from backends.duckdb.catalog.warehouses import DEFAULT_AUTO_SUSPEND_S, SIZE_DISPLAY, Warehouse, normalize_size
from backends.duckdb.compile.context import SessionLike
from backends.duckdb.compile.plans import Plan, command_plan, text_commands
from backends.duckdb.compile.results import (
    Result,
    RowsResult,
    number_column,
    status_result,
    text_column,
    timestamp_column,
)
from backends.duckdb.metadata.show import ShowRequest, like_matcher, local_time
from backends.duckdb.sql.names import display, normalize
from backends.duckdb.sql.properties import Property, check_known, parse_properties
from backends.errors import (
    NotSupportedError,
    compilation_error,
    object_already_exists,
    object_does_not_exist,
)

_NAME = r'(?P<name>"(?:[^"]|"")+"|[A-Za-z_][\w$]*)'
_CREATE = re.compile(
    rf"^\s*CREATE\s+(?P<replace>OR\s+REPLACE\s+)?WAREHOUSE\s+(?P<exists>IF\s+NOT\s+EXISTS\s+)?{_NAME}(?:\s+WITH\b)?(?P<rest>.*?)\s*;?\s*$",
    re.I | re.S,
)
_ALTER = re.compile(
    rf"^\s*ALTER\s+WAREHOUSE\s+(?P<exists>IF\s+EXISTS\s+)?{_NAME}\s+(?P<rest>.*?)\s*;?\s*$", re.I | re.S
)
_DROP = re.compile(rf"^\s*DROP\s+WAREHOUSE\s+(?P<exists>IF\s+EXISTS\s+)?{_NAME}\s*;?\s*$", re.I | re.S)

_KNOWN = {"WAREHOUSE_SIZE", "AUTO_SUSPEND", "AUTO_RESUME", "INITIALLY_SUSPENDED", "COMMENT", "WAREHOUSE_TYPE",
          "MIN_CLUSTER_COUNT", "MAX_CLUSTER_COUNT", "MAX_CONCURRENCY_LEVEL"}
#: Accepted: they bound or label queries but do not change what the model computes.
_IGNORED = {"SCALING_POLICY", "STATEMENT_QUEUED_TIMEOUT_IN_SECONDS", "STATEMENT_TIMEOUT_IN_SECONDS",
            "ENABLE_QUERY_ACCELERATION", "QUERY_ACCELERATION_MAX_SCALE_FACTOR", "RESOURCE_MONITOR"}


def _name(match: re.Match) -> str:
    raw = match["name"]
    return raw[1:-1].replace('""', '"') if raw.startswith('"') else normalize(raw)


def apply_properties(warehouse: Warehouse, found: dict[str, Property], sql: str) -> None:
    for name, prop in found.items():
        if name == "WAREHOUSE_SIZE":
            size = normalize_size(prop.value)
            if size is None:
                raise compilation_error(
                    f"invalid value '{prop.value}' for property 'WAREHOUSE_SIZE'; expected one of "
                    + ", ".join(SIZE_DISPLAY.values()), errno=2001, query=sql,
                )
            warehouse.size = size
        elif name == "AUTO_SUSPEND":
            warehouse.auto_suspend_s = None if prop.value.upper() == "NULL" else prop.integer(sql)
            if warehouse.auto_suspend_s is not None and warehouse.auto_suspend_s < 0:
                raise compilation_error("AUTO_SUSPEND must be 0 or more seconds, or NULL", errno=2001, query=sql)
        elif name == "AUTO_RESUME":
            warehouse.auto_resume = prop.boolean(sql)
        elif name == "COMMENT":
            warehouse.comment = prop.value
        elif name == "MAX_CONCURRENCY_LEVEL":
            warehouse.max_concurrency = prop.integer(sql)
        elif name == "WAREHOUSE_TYPE" and prop.value.upper() != "STANDARD":
            raise NotSupportedError(f"WAREHOUSE_TYPE = {prop.value}", query=sql)
        elif name in ("MIN_CLUSTER_COUNT", "MAX_CLUSTER_COUNT") and prop.integer(sql) != 1:
            raise NotSupportedError("multi-cluster warehouses", query=sql)


def _create(match: re.Match, sql: str, session: SessionLike) -> Plan:
    name = _name(match)
    found, rest = parse_properties(match["rest"])
    if rest.strip():
        raise compilation_error(f"syntax error: unexpected '{rest.strip()[:40]}'", errno=1003, query=sql)
    check_known(found, _KNOWN, _IGNORED, "warehouse", sql)

    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        account = session.account
        if name in account.warehouses:
            if match["exists"]:
                return status_result(f"{display(name)} already exists, statement succeeded.")
            if not match["replace"]:
                raise object_already_exists(display(name), query=sql)
            account.warehouses[name].suspend(account.clock.now())
        warehouse = Warehouse(name, created_on=account.clock.now(), auto_suspend_s=DEFAULT_AUTO_SUSPEND_S)
        apply_properties(warehouse, found, sql)
        account.warehouses[name] = warehouse
        if not (found.get("INITIALLY_SUSPENDED") and found["INITIALLY_SUSPENDED"].boolean(sql)):
            warehouse.resume(account.clock.now(), account.clock)  # a new warehouse starts, and bills, at once
        session.set_context(warehouse=name)
        return status_result(f"Warehouse {display(name)} successfully created.")

    return command_plan(session, run)


def _alter(match: re.Match, sql: str, session: SessionLike) -> Plan:
    name = _name(match)
    rest = match["rest"].strip()
    word = rest.split(None, 1)[0].upper() if rest else ""

    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        account = session.account
        warehouse = account.warehouses.get(name)
        if warehouse is None:
            if match["exists"]:
                return status_result("Statement executed successfully.")
            raise object_does_not_exist(display(name), query=sql)
        now = account.clock.now()
        if word == "SUSPEND":
            if warehouse.state != "STARTED":
                raise compilation_error(
                    f"Invalid state. Warehouse '{display(name)}' cannot be suspended.", errno=90064, query=sql
                )
            warehouse.suspend(now)
        elif word == "RESUME":
            if warehouse.state == "STARTED" and "IF SUSPENDED" not in rest.upper():
                raise compilation_error(f"Invalid state. Warehouse '{display(name)}' cannot be resumed because "
                                        "resource monitor has exceeded its quota or it is already running.",
                                        errno=90063, query=sql)
            warehouse.resume(now, account.clock)
        elif word == "SET":
            found, tail = parse_properties(rest[3:])
            if tail.strip():
                raise compilation_error(f"syntax error: unexpected '{tail.strip()[:40]}'", errno=1003, query=sql)
            check_known(found, _KNOWN - {"INITIALLY_SUSPENDED"}, _IGNORED, "warehouse", sql)
            apply_properties(warehouse, found, sql)
        elif word == "RENAME":
            new_match = re.match(rf"RENAME\s+TO\s+{_NAME}\s*$", rest, re.I)
            if new_match is None:
                raise compilation_error("syntax error: expected RENAME TO <name>", errno=1003, query=sql)
            new_name = _name(new_match)
            account.warehouses[new_name] = account.warehouses.pop(name)
            warehouse.name = new_name
        else:
            raise NotSupportedError(f"ALTER WAREHOUSE ... {word}", query=sql)
        return status_result("Statement executed successfully.")

    return command_plan(session, run)


def _drop(match: re.Match, sql: str, session: SessionLike) -> Plan:
    name = _name(match)

    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        account = session.account
        warehouse = account.warehouses.get(name)
        if warehouse is None:
            if match["exists"]:
                return status_result(f"Drop statement executed successfully ({display(name)} already dropped).")
            raise object_does_not_exist(display(name), query=sql)
        warehouse.suspend(account.clock.now())
        account.dropped_warehouses.append(account.warehouses.pop(name))
        return status_result(f"{display(name)} successfully dropped.")

    return command_plan(session, run)


def show_warehouses(session: SessionLike, request: ShowRequest, sql: str) -> RowsResult:
    matches = like_matcher(request.like)
    account = session.account
    # https://docs.snowflake.com/en/sql-reference/sql/show-warehouses (output columns, in order)
    columns = [text_column("name"), text_column("state"), text_column("type"), text_column("size"),
               number_column("min_cluster_count"), number_column("max_cluster_count"),
               number_column("started_clusters"), number_column("running"), number_column("queued"),
               text_column("is_default"), text_column("is_current"), number_column("auto_suspend"),
               text_column("auto_resume"), text_column("available"), text_column("provisioning"),
               text_column("quiescing"), text_column("other"), timestamp_column("created_on"),
               timestamp_column("resumed_on"), timestamp_column("updated_on"), text_column("owner"),
               text_column("comment"), text_column("enable_query_acceleration"),
               number_column("query_acceleration_max_scale_factor"), text_column("resource_monitor"),
               number_column("actives"), number_column("pendings"), number_column("failed"),
               number_column("suspended"), text_column("uuid"), text_column("scaling_policy"), text_column("budget"),
               text_column("owner_role_type"), text_column("resource_constraint")]
    now = account.clock.now()
    rows = []
    for warehouse in sorted(account.warehouses.values(), key=lambda w: w.name):
        if not matches(warehouse.name):
            continue
        running = sum(1 for start, end in warehouse.busy if start <= now < end)
        resumed = (
            warehouse.started_at
            if warehouse.started_at is not None
            else (warehouse.periods[-1][0] if warehouse.periods else None)
        )
        rows.append((
            warehouse.name, warehouse.state, "STANDARD", SIZE_DISPLAY[warehouse.size], 1, 1,
            1 if warehouse.state == "STARTED" else 0, running, 0, "N",
            "Y" if session.context.warehouse == warehouse.name else "N",
            warehouse.auto_suspend_s, "true" if warehouse.auto_resume else "false",
            "100" if warehouse.state == "STARTED" else "", "0", "0", "0",
            local_time(session, warehouse.created_on), local_time(session, resumed) if resumed is not None else None,
            local_time(session, resumed if resumed is not None else warehouse.created_on),
            warehouse.owner, warehouse.comment or "", "false", 8, "null", 1 if warehouse.state == "STARTED" else 0,
            0, 0, 0 if warehouse.state == "STARTED" else 1, None,
            "STANDARD", None, "ROLE", None,
        ))
    return RowsResult(columns, rows[: request.limit] if request.limit else rows)


compile_warehouse_command = text_commands((_CREATE, _create), (_ALTER, _alter), (_DROP, _drop))
"""The plan for one of these statements, or None if `sql` is not one."""

SHOW_HANDLERS = {"WAREHOUSES": show_warehouses}
