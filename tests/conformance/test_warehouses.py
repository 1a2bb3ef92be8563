"""Warehouses: lifecycle, SHOW WAREHOUSES and metering (semantics section 6).

Warehouses are account-level objects and live metering arrives hours late, so on a live account
these cases are skipped; the emulator's billing rules are checked here against the documented
ones: per second, 60-second minimum per resume, auto-suspend after the idle time.
"""

from __future__ import annotations

import pytest

from .cases import Advance, Expect, Fails, case, run_case_on

LIVE = {"snowflake": "creates account-level warehouses and reads metering, which lags by hours on a live account"}
SHOW = "SHOW WAREHOUSES LIKE 'W1'"
STATE = ("name", "state", "size", "auto_suspend", "auto_resume")
METERED = ("SELECT ROUND(SUM(CREDITS_USED) * 3600) FROM TABLE(INFORMATION_SCHEMA.WAREHOUSE_METERING_HISTORY("
           "DATEADD('day', -1, CURRENT_TIMESTAMP()), CURRENT_TIMESTAMP(), 'W1'))")

CASES = [
    case("a new warehouse is X-Small, started, suspends after 600 s and resumes itself",
         "CREATE WAREHOUSE w1", Expect(SHOW, [("W1", "STARTED", "X-Small", 600, "true")], columns=STATE), **LIVE),
    case("INITIALLY_SUSPENDED and the other properties show in SHOW WAREHOUSES",
         "CREATE WAREHOUSE w1 WITH WAREHOUSE_SIZE = 'SMALL' AUTO_SUSPEND = 60 AUTO_RESUME = FALSE "
         "INITIALLY_SUSPENDED = TRUE",
         Expect(SHOW, [("W1", "SUSPENDED", "Small", 60, "false")], columns=STATE), **LIVE),
    case("ALTER WAREHOUSE RESUME, SUSPEND and SET",
         "CREATE WAREHOUSE w1 INITIALLY_SUSPENDED = TRUE", "ALTER WAREHOUSE w1 RESUME",
         Expect(SHOW, [("STARTED",)], columns=("state",)),
         "ALTER WAREHOUSE w1 SUSPEND", Expect(SHOW, [("SUSPENDED",)], columns=("state",)),
         "ALTER WAREHOUSE w1 SET WAREHOUSE_SIZE = LARGE AUTO_SUSPEND = 120",
         Expect(SHOW, [("Large", 120)], columns=("size", "auto_suspend")), **LIVE),
    case("suspending a suspended warehouse is an error",
         "CREATE WAREHOUSE w1 INITIALLY_SUSPENDED = TRUE",
         Fails("ALTER WAREHOUSE w1 SUSPEND", "cannot be suspended"), **LIVE),
    case("resuming a running warehouse is an error unless IF SUSPENDED",
         "CREATE WAREHOUSE w1", Fails("ALTER WAREHOUSE w1 RESUME", "cannot be resumed"),
         "ALTER WAREHOUSE w1 RESUME IF SUSPENDED", **LIVE),
    case("an unknown size is refused naming the valid ones",
         Fails("CREATE WAREHOUSE w1 WAREHOUSE_SIZE = 'HUGE'", "X-Small"), **LIVE),
    case("DROP WAREHOUSE removes it", "CREATE WAREHOUSE w1", "DROP WAREHOUSE w1", Expect(SHOW, []),
         Fails("DROP WAREHOUSE w1", "does not exist"), "DROP WAREHOUSE IF EXISTS w1", **LIVE),
    case("a warehouse auto-suspends after AUTO_SUSPEND idle seconds",
         "CREATE WAREHOUSE w1 AUTO_SUSPEND = 60", Advance(59), Expect(SHOW, [("STARTED",)], columns=("state",)),
         Advance(1), Expect(SHOW, [("SUSPENDED",)], columns=("state",)), **LIVE),
    case("a short run is billed the 60-second minimum",
         "CREATE WAREHOUSE w1", Advance(10), "ALTER WAREHOUSE w1 SUSPEND", Advance(3600),
         Expect(METERED, [(60,)]), **LIVE),
    case("after the first minute billing is per second",
         "CREATE WAREHOUSE w1", Advance(90), "ALTER WAREHOUSE w1 SUSPEND", Advance(3600),
         Expect(METERED, [(90,)]), **LIVE),
    case("each resume starts a new 60-second minimum",
         "CREATE WAREHOUSE w1", Advance(5), "ALTER WAREHOUSE w1 SUSPEND", "ALTER WAREHOUSE w1 RESUME",
         Advance(5), "ALTER WAREHOUSE w1 SUSPEND", Expect(METERED, [(120,)]), **LIVE),
    case("credits scale with size: a Small bills two credits an hour",
         "CREATE WAREHOUSE w1 WAREHOUSE_SIZE = SMALL AUTO_SUSPEND = NULL", Advance(1800),
         "ALTER WAREHOUSE w1 SUSPEND", Expect(METERED, [(3600,)]), **LIVE),
    case("idle time until auto-suspend is billed",
         "CREATE WAREHOUSE w1 AUTO_SUSPEND = 300", Advance(3600), Expect(METERED, [(300,)]), **LIVE),
    case("WAREHOUSE_METERING_HISTORY needs DATE_RANGE_START",
         Fails("SELECT * FROM TABLE(INFORMATION_SCHEMA.WAREHOUSE_METERING_HISTORY())", "DATE_RANGE_START"), **LIVE),
]


@pytest.mark.parametrize("item", CASES, ids=str)
def test_warehouse_case(backend, item) -> None:
    run_case_on(backend, item)
