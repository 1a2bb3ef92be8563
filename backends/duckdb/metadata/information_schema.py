"""INFORMATION_SCHEMA functions of the account itself: WAREHOUSE_METERING_HISTORY.

Each object kind declares the functions that read its own state (TASK_HISTORY in
objects/tasks/commands.py, DYNAMIC_TABLE_REFRESH_HISTORY in objects/dynamic_tables/commands.py,
COPY_HISTORY in objects/pipes.py); the registry is compile/table_functions.py.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from backends.duckdb.catalog.warehouses import hourly_credits
from backends.duckdb.compile.context import AccountLike
from backends.duckdb.compile.table_functions import TIMESTAMP, Argument, TableFunction


def _metering_rows(account: AccountLike) -> list[dict[str, Any]]:
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

TABLE_FUNCTIONS = (WAREHOUSE_METERING_HISTORY,)
