"""Task schedules: `'<n> SECONDS | MINUTES | HOURS'` or `'USING CRON <expr> <time zone>'`.

https://docs.snowflake.com/en/sql-reference/sql/create-task (section 2.2 of the semantics). An
interval schedule runs every n units from when the task is resumed; a cron schedule at the
times its expression names, in its IANA time zone. The documentation shows 10 seconds as the
smallest interval and 8 days (11520 minutes) as the largest; the emulator refuses values
outside that range rather than guess what Snowflake does with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from backends.clock import Millis, to_datetime, to_millis
from backends.errors import compilation_error

_UNITS = {
    "SECOND": 1_000, "SECONDS": 1_000, "S": 1_000,
    "MINUTE": 60_000, "MINUTES": 60_000, "M": 60_000,
    "HOUR": 3_600_000, "HOURS": 3_600_000, "H": 3_600_000,
}
_INTERVAL = re.compile(r"^\s*(\d+)\s*([A-Za-z]+)\s*$")
_CRON = re.compile(r"^\s*USING\s+CRON\s+(.+?)\s+(\S+)\s*$", re.I)
MIN_INTERVAL_MS = 10_000
MAX_INTERVAL_MS = 11_520 * 60_000


@dataclass(frozen=True)
class Schedule:
    text: str
    interval_ms: int | None = None
    cron: str | None = None
    timezone: str | None = None

    def next_after(self, at: Millis, *, anchor: Millis | None = None) -> Millis:
        """The first scheduled time strictly after `at` (interval schedules count from `anchor`)."""
        if self.interval_ms is not None:
            base = at if anchor is None else anchor
            if at < base:
                return base + self.interval_ms
            return base + ((at - base) // self.interval_ms + 1) * self.interval_ms
        zone = ZoneInfo(self.timezone or "UTC")
        start = to_datetime(at).astimezone(zone)
        return to_millis(croniter(self.cron, start).get_next(datetime))


def parse_schedule(text: str, *, sql: str | None = None) -> Schedule:
    cron = _CRON.match(text)
    if cron:
        expression, timezone = cron.group(1), cron.group(2)
        if not croniter.is_valid(expression):
            raise compilation_error(f"invalid cron expression '{expression}' in SCHEDULE", errno=2001, query=sql)
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise compilation_error(f"invalid time zone '{timezone}' in SCHEDULE", errno=2001, query=sql) from None
        return Schedule(text, cron=expression, timezone=timezone)
    interval = _INTERVAL.match(text)
    if interval is None or interval.group(2).upper() not in _UNITS:
        raise compilation_error(
            f"invalid SCHEDULE '{text}': expected '<number> SECONDS | MINUTES | HOURS' or 'USING CRON <expr> <time "
            "zone>'",
            errno=2001, query=sql,
        )
    ms = int(interval.group(1)) * _UNITS[interval.group(2).upper()]
    if not MIN_INTERVAL_MS <= ms <= MAX_INTERVAL_MS:
        raise compilation_error(
            f"SCHEDULE '{text}' is outside 10 seconds to 8 days, the range Snowflake documents", errno=2001, query=sql
        )
    return Schedule(text, interval_ms=ms)
