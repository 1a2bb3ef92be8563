"""The one table of statement kinds: merged from every object module, no kind registered twice."""

from __future__ import annotations

import pytest

from backends.duckdb.compile import table_functions
from backends.duckdb.session import dispatch


def test_show_and_describe_kinds_come_from_every_object_module() -> None:
    assert {"TABLES", "STREAMS", "TASKS", "DYNAMIC TABLES", "WAREHOUSES"} <= dispatch.SHOW.keys()
    assert {"TABLE", "VIEW", "DYNAMIC TABLE", "STREAM", "TASK", "SEQUENCE"} == dispatch.DESCRIBE.keys()
    assert {"TASK_HISTORY", "DYNAMIC_TABLE_REFRESH_HISTORY", "COPY_HISTORY",
            "WAREHOUSE_METERING_HISTORY"} <= table_functions.FUNCTIONS.keys()


def test_a_kind_registered_twice_is_refused_not_overridden() -> None:
    with pytest.raises(ValueError, match="registered twice: STREAMS"):
        dispatch.merged({"STREAMS": 1, "TABLES": 2}, {"STREAMS": 3})
    with pytest.raises(ValueError, match="INFORMATION_SCHEMA.TASK_HISTORY registered twice"):
        table_functions.register(table_functions.FUNCTIONS["TASK_HISTORY"])
