"""Scenario files: YAML in, a validated, frozen `Scenario` out, or every error at once.

Errors name the file, the key path and what was expected (`booking.yaml: workload.rate: must be > 0,
got -5`); an unknown key gets a "did you mean" (a close spelling, or where a key of that name belongs).
Durations are written `90s`, `15 min`, `1h`, `2 days` (or a number of seconds); delays are a duration
(fixed), `{min: 5s, max: 10s}` (uniform) or `{median: 20s, p95: 60s}` (log-normal).
`python -m sim schema` writes the JSON Schema.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import re
import reprlib
from datetime import UTC, datetime
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import numpy as np
import pyarrow as pa
import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from backends.clock import DEFAULT_START

_UNITS = {
    "ms": 0.001, "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.I)


def parse_seconds(value: Any) -> float:
    """Seconds from `90`, `'90s'`, `'15 min'`, `'1h'`, `'2 days'`."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 90s, 15 min or 1h")
    if isinstance(value, (int, float)):
        return float(value)
    match = _DURATION.match(str(value))
    if match is None or match[2].lower() not in {"", *_UNITS}:
        raise ValueError(f"expected a duration such as 90s, 15 min or 1h, got {value!r}")
    return float(match[1]) * _UNITS.get(match[2].lower(), 1)


Seconds = Annotated[float, BeforeValidator(parse_seconds), Field(ge=0)]


def _runnable_duration(seconds: float) -> float:
    if seconds > MAX_DURATION_DAYS * 86_400:
        raise ValueError(f"{seconds / 86_400:,.0f} days is more than the {MAX_DURATION_DAYS} days one run can "
                         "simulate; split it into shorter runs")
    return seconds


class _Model(BaseModel):
    # No inf or nan: a run of infinite rate or length cannot end.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


#: A variant's or a scenario's name: it names folders of the run, so a plain name, never a path.
NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
NAME_RULE = "letters, digits, '_', '.' and '-', starting with a letter or digit (it names folders of the run)"
#: The virtual clock counts milliseconds: a shorter nonzero delay would silently be none.
CLOCK_RESOLUTION = 0.001
#: What one run may simulate: longer or larger runs do not finish on one machine (a day at 100 events/s is
#: 8.6M events, ~13 GB of tables before compaction).
MAX_DURATION_DAYS = 31
MAX_EVENTS = 100_000_000


class Delay(_Model):
    """A random delay: fixed, uniform between min and max, or log-normal by its median and 95th percentile."""

    fixed: Seconds | None = None
    min: Seconds | None = None
    max: Seconds | None = None
    median: Seconds | None = None
    p95: Seconds | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_duration(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else {"fixed": value}

    @model_validator(mode="after")
    def _one_shape(self) -> Delay:
        shapes = [self.fixed is not None, self.min is not None or self.max is not None,
                  self.median is not None or self.p95 is not None]
        if sum(shapes) != 1:
            raise ValueError("give a duration, or {min, max}, or {median, p95}")
        if shapes[1] and (self.min is None or self.max is None or self.min > self.max):
            raise ValueError("a uniform delay needs min <= max")
        if shapes[2] and (self.median is None or self.p95 is None or self.p95 < self.median):
            raise ValueError("a log-normal delay needs median <= p95")
        for value in (self.fixed, self.min, self.max, self.median, self.p95):
            if value and value < CLOCK_RESOLUTION:
                raise ValueError(f"{value:g} s is below the virtual clock's resolution (1 ms): give 0 or at least 1 ms")
        return self

    def draws(self, rng: Any, count: int) -> Any:
        """`count` draws in seconds (numpy), from `rng` as one-at-a-time draws would take them."""
        if self.fixed is not None:
            return np.full(count, self.fixed, dtype=float)
        if self.min is not None:
            return rng.uniform(self.min, self.max, count)
        if self.median == 0:
            return np.zeros(count)
        sigma = (np.log(self.p95) - np.log(self.median)) / 1.6448536269514722
        return self.median * np.exp(sigma * rng.standard_normal(count))

    def describe(self) -> str:
        if self.fixed is not None:
            return f"{self.fixed:g} s"
        if self.min is not None:
            return f"uniform {self.min:g}-{self.max:g} s"
        return f"log-normal, median {self.median:g} s, p95 {self.p95:g} s"


class Mix(_Model):
    """Shares of new bookings, status changes and deletions among changes (once bookings exist)."""

    new: float = Field(0.6, ge=0, le=1)
    change: float = Field(0.3, ge=0, le=1)
    delete: float = Field(0.1, ge=0, le=1)

    @model_validator(mode="after")
    def _sums_to_one(self) -> Mix:
        if abs(self.new + self.change + self.delete - 1) > 1e-9:
            raise ValueError(f"new + change + delete must be 1, got {self.new + self.change + self.delete:g}")
        return self


class DailyProfile(_Model):
    """A rate that follows the day: `rate` off-peak, `rate * peak_factor` during the peak hours (UTC)."""

    peak_hours: list[Annotated[int, Field(ge=0, le=23)]] = [12, 13, 18, 19, 20]
    peak_factor: float = Field(3.0, gt=0)


class BookingWorkloadSpec(_Model):
    kind: Literal["booking"]
    rate: float = Field(gt=0, description="mean source events per second (off-peak when a profile is set)")
    profile: DailyProfile | None = None
    mix: Mix = Mix()
    invalid_share: float = Field(
        0.02, ge=0, le=1, description="share of new bookings that break a silver data-quality rule"
    )
    movies: int = Field(20, gt=0)
    customers: int = Field(5000, gt=0)


class CustomerSegment(_Model):
    name: str
    share: float = Field(gt=0, le=1, description="share of new customers in this segment")
    avg_order_value: float = Field(gt=0)
    purchase_frequency: float = Field(gt=0, description="how often a customer of the segment buys again (relative)")
    price_sensitivity: float = Field(ge=0, le=1, description="how much discounts matter (0-1)")


class ProductCategory(_Model):
    name: str
    peak_months: list[Annotated[int, Field(ge=1, le=12)]] = []
    margin_pct: float = Field(ge=0, le=1)
    popularity: float = Field(gt=0, description="relative share of purchases outside peak months")
    seasonal_boost: float = Field(2.0, ge=1, description="popularity multiplier in peak months")


class MarketingChannel(_Model):
    name: str
    share: float = Field(gt=0)
    avg_discount_pct: float = Field(ge=0, lt=1)


class RetailWarehouse(_Model):
    warehouse_id: str
    city: str
    capacity_share: float = Field(gt=0)


class RetailReference(_Model):
    """The retail demo's reference data: it drives the generator and is loaded into REFERENCE_DATA.* tables."""

    customer_segments: list[CustomerSegment] = [
        CustomerSegment(
            name="premium", share=0.15, avg_order_value=180.0, purchase_frequency=3.0, price_sensitivity=0.2
        ),
        CustomerSegment(
            name="regular", share=0.60, avg_order_value=75.0, purchase_frequency=1.5, price_sensitivity=0.5
        ),
        CustomerSegment(
            name="occasional", share=0.25, avg_order_value=45.0, purchase_frequency=0.5, price_sensitivity=0.8
        ),
    ]
    product_categories: list[ProductCategory] = [
        ProductCategory(name="electronics", peak_months=[11, 12], margin_pct=0.25, popularity=0.20),
        ProductCategory(name="apparel", peak_months=[3, 4, 9, 10], margin_pct=0.55, popularity=0.25),
        ProductCategory(name="home_garden", peak_months=[4, 5, 6], margin_pct=0.40, popularity=0.15),
        ProductCategory(name="sports_outdoors", peak_months=[5, 6, 7], margin_pct=0.35, popularity=0.10),
        ProductCategory(name="toys_games", peak_months=[11, 12], margin_pct=0.50, popularity=0.10),
        ProductCategory(name="grocery", peak_months=[], margin_pct=0.20, popularity=0.20),
    ]
    marketing_channels: list[MarketingChannel] = [
        MarketingChannel(name="organic", share=0.35, avg_discount_pct=0.0),
        MarketingChannel(name="email", share=0.25, avg_discount_pct=0.10),
        MarketingChannel(name="paid_search", share=0.20, avg_discount_pct=0.05),
        MarketingChannel(name="social", share=0.15, avg_discount_pct=0.12),
        MarketingChannel(name="affiliate", share=0.05, avg_discount_pct=0.15),
    ]
    warehouses: list[RetailWarehouse] = [
        RetailWarehouse(warehouse_id="WH-EAST", city="Newark", capacity_share=0.40),
        RetailWarehouse(warehouse_id="WH-CENTRAL", city="Dallas", capacity_share=0.35),
        RetailWarehouse(warehouse_id="WH-WEST", city="Reno", capacity_share=0.25),
    ]
    repeat_customer_probability: float = Field(0.7, ge=0, le=1)

    @model_validator(mode="after")
    def _segments_share_one(self) -> RetailReference:
        total = sum(s.share for s in self.customer_segments)
        if not self.customer_segments or abs(total - 1) > 1e-9:
            raise ValueError(f"customer_segments shares must sum to 1, got {total:g}")
        return self


class RetailWorkloadSpec(_Model):
    kind: Literal["retail"]
    rate: float = Field(
        gt=0, description="mean purchases per second; a new customer's profile event comes with its first"
    )
    profile: DailyProfile | None = None
    reference: RetailReference = RetailReference()


class CdcMix(_Model):
    """Shares of each kind of change at the PostgreSQL source; one finding no row to act on creates a customer."""

    new_customer: float = Field(0.15, ge=0, le=1)
    customer_change: float = Field(0.10, ge=0, le=1, description="a new email or name, or only a new updated_at")
    customer_delete: float = Field(0.02, ge=0, le=1, description="of a customer without orders")
    new_order: float = Field(0.45, ge=0, le=1)
    order_change: float = Field(0.25, ge=0, le=1, description="the next status, or a finished order's amount corrected")
    order_delete: float = Field(0.03, ge=0, le=1)

    @model_validator(mode="after")
    def _sums_to_one(self) -> CdcMix:
        shares = self.model_dump()
        total = sum(shares.values())
        if abs(total - 1) > 1e-9:
            defaults = ", ".join(f"{k} {v:g}" for k, v in shares.items() if k not in self.model_fields_set)
            raise ValueError(f"the six shares must sum to 1, got {total:g}"
                             + (f" (with the defaults of the shares not given: {defaults})" if defaults else ""))
        return self


class PostgresCdcWorkloadSpec(_Model):
    kind: Literal["postgres_cdc"]
    rate: float = Field(gt=0, description="mean source changes per second (off-peak when a profile is set)")
    profile: DailyProfile | None = None
    mix: CdcMix = CdcMix()


class TmdbWorkloadSpec(_Model):
    kind: Literal["tmdb"]
    rate: float = Field(gt=0, description="mean movie fetches per second (off-peak when a profile is set)")
    profile: DailyProfile | None = None
    new_share: float = Field(
        0.3, ge=0, le=1, description="share of fetches that find a new movie; the rest re-fetch one"
    )
    invalid_share: float = Field(0.02, ge=0, le=1, description="share of new movies with a flawed record")


#: A custom workload's column name: a plain identifier, as an unquoted Snowflake column.
COLUMN = r"^[A-Za-z_][A-Za-z0-9_]*$"
#: The columns every custom workload lands besides its own (see `python -m sim workloads`).
CUSTOM_FIXED_COLUMNS = ("event_id", "op", "source_ts")
#: Snowflake types a custom column may have -> the Arrow type its values are generated as.
_CUSTOM_TYPES: list[tuple[re.Pattern, Any]] = [
    (re.compile(r"(VARCHAR|STRING|TEXT|CHAR|CHARACTER)(\s*\(\s*\d+\s*\))?", re.I), lambda m: pa.string()),
    (re.compile(r"(NUMBER|NUMERIC|DECIMAL)(\s*\(\s*(\d+)\s*(,\s*(\d+)\s*)?\))?", re.I),
     lambda m: pa.decimal128(int(m[3]), int(m[5] or 0)) if m[3] and int(m[5] or 0) else pa.int64()),
    (re.compile(r"INT|INTEGER|BIGINT|SMALLINT|TINYINT|BYTEINT", re.I), lambda m: pa.int64()),
    (re.compile(r"FLOAT|FLOAT4|FLOAT8|DOUBLE|DOUBLE PRECISION|REAL", re.I), lambda m: pa.float64()),
    (re.compile(r"BOOLEAN", re.I), lambda m: pa.bool_()),
    (re.compile(r"DATE", re.I), lambda m: pa.date32()),
    (re.compile(r"TIMESTAMP|TIMESTAMP_NTZ|DATETIME", re.I), lambda m: pa.timestamp("ms")),
]
CUSTOM_TYPE_RULE = "VARCHAR, NUMBER(p, s), INTEGER, FLOAT, BOOLEAN, DATE or TIMESTAMP_NTZ"


def arrow_type(snowflake_type: str) -> pa.DataType:
    """The Arrow type a custom column of this Snowflake type is generated as; ValueError for another type."""
    for pattern, make in _CUSTOM_TYPES:
        match = pattern.fullmatch(snowflake_type.strip())
        if match:
            kind = make(match)
            if pa.types.is_decimal(kind) and not 0 < kind.precision <= 18:
                raise ValueError(f"{snowflake_type}: a generated decimal has a precision of 1 to 18")
            return kind
    raise ValueError(f"type {snowflake_type!r} is not one a custom workload generates: give {CUSTOM_TYPE_RULE}")


def _generated_type(text: str) -> str:
    arrow_type(text)  # raises for a type no custom column generates
    return text


class Normal(_Model):
    mean: float
    sd: float = Field(gt=0)


class CustomColumn(_Model):
    """A landing column of a custom workload: its Snowflake type and how its values are drawn, by exactly one of
    `faker` (text), `values` (any type; a list, or value -> weight), `uniform: [min, max]` or `normal` (numbers),
    `before` (dates and timestamps: up to this long before the event's source time)."""

    name: str = Field(pattern=COLUMN, description="a plain identifier: letters, digits and '_'")
    type: Annotated[str, AfterValidator(_generated_type)] = Field(description=CUSTOM_TYPE_RULE)
    faker: str | None = Field(None, description="a Faker provider (name, email, city, ...), drawn from a seeded "
                                                "pool of 1,000 values")
    values: list[str | int | float | bool] | dict[str | int | float | bool, float] | None = None
    uniform: tuple[float, float] | None = None
    normal: Normal | None = None
    before: Seconds | None = None
    null_share: float = Field(0.0, ge=0, le=1)

    @model_validator(mode="after")
    def _one_generator(self) -> CustomColumn:
        kind = arrow_type(self.type)
        given = [g for g in ("faker", "values", "uniform", "normal", "before") if getattr(self, g) is not None]
        if len(given) != 1:
            raise ValueError(f"column {self.name}: give exactly one of faker, values, uniform, normal or before"
                             + (f", got {' and '.join(given)}" if given else ""))
        numeric = pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)
        fits = {"faker": (pa.types.is_string(kind), "VARCHAR"), "uniform": (numeric, "NUMBER, INTEGER or FLOAT"),
                "normal": (numeric, "NUMBER, INTEGER or FLOAT"),
                "before": (pa.types.is_date(kind) or pa.types.is_timestamp(kind), "DATE or TIMESTAMP_NTZ"),
                "values": (True, "")}
        fit, makes = fits[given[0]]
        if not fit:
            raise ValueError(f"column {self.name}: {given[0]} makes {makes} values, not {self.type}")
        if self.faker is not None and not _faker_provider(self.faker):
            raise ValueError(f"column {self.name}: Faker has no provider {self.faker!r} (try name, email, city, "
                             "company, word)")
        if self.uniform is not None and self.uniform[0] > self.uniform[1]:
            raise ValueError(f"column {self.name}: uniform needs [min, max] with min <= max")
        if self.values is not None:
            choices = list(self.values)
            if not choices or (isinstance(self.values, dict) and (min(self.values.values()) < 0
                                                                  or sum(self.values.values()) <= 0)):
                raise ValueError(f"column {self.name}: values needs at least one value, and weights >= 0 "
                                 "that are not all 0")
            try:
                pa.array(choices, kind)
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
                raise ValueError(f"column {self.name}: values {choices!r} are not all {self.type} values") from None
        return self


@functools.cache
def _faker_provider(name: str) -> bool:
    from faker import Faker

    return not name.startswith("_") and callable(getattr(Faker("en_US"), name, None))


class CustomKey(_Model):
    """The workload's key column: `keys` distinct keys, new ones taken at random, deleted ones reused later."""

    column: str = Field(pattern=COLUMN)
    type: Literal["VARCHAR", "NUMBER"] = "VARCHAR"
    keys: int = Field(100_000, gt=0, le=10_000_000, description="the key space: how many distinct keys exist")
    prefix: str = Field("", description="VARCHAR keys: text before the zero-padded number")


class LateShare(_Model):
    """A share of events sent late: their source time is `by` older than their arrival."""

    share: float = Field(0.0, ge=0, le=1)
    by: Delay = Delay(median=60.0, p95=600.0)


class CustomWorkloadSpec(_Model):
    """Your own change feed: event_id, op (I/U/D), the key, your columns, source_ts."""

    kind: Literal["custom"]
    rate: float = Field(gt=0, description="mean source changes per second (off-peak when a profile is set)")
    profile: DailyProfile | None = None
    key: CustomKey
    columns: list[CustomColumn] = Field(min_length=1)
    mix: Mix = Mix()
    updates: list[str] | None = Field(None, description="the columns an update draws again (default: all)")
    late: LateShare = LateShare()

    @model_validator(mode="after")
    def _names_fit(self) -> CustomWorkloadSpec:
        names = [c.name.lower() for c in self.columns]
        taken = [*CUSTOM_FIXED_COLUMNS, self.key.column.lower()]
        clashes = sorted({n for n in names if names.count(n) > 1 or n in taken})
        if clashes:
            raise ValueError(f"column names must be unique and not {', '.join(taken)}; {', '.join(clashes)} is not")
        unknown = [u for u in self.updates or [] if u.lower() not in names]
        if unknown:
            raise ValueError(f"updates: no column {unknown[0]!r}; the columns are {', '.join(names)}")
        if self.key.prefix and self.key.type == "NUMBER":
            raise ValueError("key.prefix is for VARCHAR keys")
        return self


Workload = Annotated[BookingWorkloadSpec | RetailWorkloadSpec | PostgresCdcWorkloadSpec | TmdbWorkloadSpec
                     | CustomWorkloadSpec,
                     Field(discriminator="kind")]


class SnowpipeVariant(_Model):
    """Files: the producer rotates a file, stages it, a notification queues it, the pipe loads it."""

    name: str = Field(pattern=NAME, description=NAME_RULE)
    ingestion: Literal["snowpipe"]
    file_format: Literal["json", "csv"] = "json"
    #: Docs: create a file about once per minute when data arrives slower than that (R41).
    rotate_every: Seconds = Field(60.0, gt=0)
    max_file_mb: float | None = Field(None, gt=0)
    #: INFERRED: cloud event notifications take seconds; Snowflake publishes no figure.
    notification_delay: Delay = Delay(median=2, p95=10)
    #: INFERRED from "typically within a minute after a file notification is sent" (R41).
    load_overhead: Delay = Delay(median=20, p95=60)
    load_mb_per_second: float = Field(50.0, gt=0)

    def delay_chain(self) -> tuple[float, list[Delay]]:
        """The rotation interval, and the delays after it until rows land."""
        return self.rotate_every, [self.notification_delay, self.load_overhead]

    def describe(self) -> str:
        """The delay chain in one line, for tables and legends."""
        return (f"Snowpipe, {self.file_format.upper()} file every {self.rotate_every:g} s; notification "
                f"{self.notification_delay.describe()}; load {self.load_overhead.describe()} + size")


class StreamingClassicVariant(_Model):
    """Rows through the classic SDK: a client buffer flushed every MAX_CLIENT_LAG, then committed."""

    name: str = Field(pattern=NAME, description=NAME_RULE)
    ingestion: Literal["streaming_classic"]
    #: Default 1 s, configurable 1 s to 10 min (R61, R62).
    max_client_lag: Seconds = Field(1.0, ge=1, le=600)
    #: INFERRED: blob persist and commit come on top of the flush (R65, R66).
    commit_latency: Delay = Delay(median=1, p95=3)
    clients: int = Field(1, gt=0)
    restarts: list[Seconds] = Field([], description="times after the start when the client restarts and resends "
                                                    "from its channels' committed offset tokens")

    def delay_chain(self) -> tuple[float, list[Delay]]:
        """The flush interval (MAX_CLIENT_LAG), and the delays after it until rows land."""
        return self.max_client_lag, [self.commit_latency]

    def describe(self) -> str:
        """The delay chain in one line, for tables and legends."""
        return (f"Streaming classic, {self.clients} client(s), MAX_CLIENT_LAG {self.max_client_lag:g} s; "
                f"commit {self.commit_latency.describe()}")


class StreamingHighPerformanceVariant(_Model):
    """Rows through the high-performance SDK and its pipe; ingest-to-query latency per the docs."""

    name: str = Field(pattern=NAME, description=NAME_RULE)
    ingestion: Literal["streaming_high_performance"]
    flush_every: Seconds = Field(1.0, gt=0)
    #: "end-to-end ingest to query latencies within 5 to 10 seconds" (R73).
    ingest_to_query: Delay = Delay(min=5, max=10)
    restarts: list[Seconds] = Field([], description="times after the start when the client restarts and resends "
                                                    "from its channel's committed offset token")

    def delay_chain(self) -> tuple[float, list[Delay]]:
        """The flush interval, and the delays after it until rows land."""
        return self.flush_every, [self.ingest_to_query]

    def describe(self) -> str:
        """The delay chain in one line, for tables and legends."""
        return (f"Streaming high-performance, flush every {self.flush_every:g} s; "
                f"ingest to query {self.ingest_to_query.describe()}")


Variant = Annotated[
    SnowpipeVariant | StreamingClassicVariant | StreamingHighPerformanceVariant, Field(discriminator="ingestion")
]


class _Fault(_Model):
    at: Seconds = Field(description="when the fault strikes, after the start")
    variants: list[str] = Field([], description="the variants it strikes (default: every one it applies to)")


class TaskFailures(_Fault):
    """The named task fails its next `runs` runs, then recovers (its body fails, then is restored)."""

    kind: Literal["task_failures"]
    task: str = Field(min_length=1)
    runs: int = Field(3, ge=1)


class DuplicateNotifications(_Fault):
    """Snowpipe: the notifications of the next `files` files come twice (the second after the load)."""

    kind: Literal["duplicate_notifications"]
    files: int = Field(1, ge=1)


class BadRecords(_Fault):
    """Snowpipe: the next `files` files each carry a record the pipe cannot read; its ON_ERROR decides the rest."""

    kind: Literal["bad_records"]
    files: int = Field(1, ge=1)


class ClientCrash(_Fault):
    """Streaming: the client crashes after appending its next batch, before that batch commits, and resumes from
    its channels' committed offset tokens."""

    kind: Literal["client_crash"]


class LateEvents(_Fault):
    """A share of the events arriving during `window` carry a source time `by` older than they arrive at."""

    kind: Literal["late_events"]
    share: float = Field(0.05, gt=0, le=1)
    by: Delay = Delay(fixed=600.0)
    window: Seconds = Field(60.0, gt=0)


Fault = Annotated[TaskFailures | DuplicateNotifications | BadRecords | ClientCrash | LateEvents,
                  Field(discriminator="kind")]
#: The faults that strike only one ingestion method.
FAULT_INGESTION = {"duplicate_notifications": ("snowpipe",), "bad_records": ("snowpipe",),
                   "client_crash": ("streaming_classic", "streaming_high_performance")}


class PipelineSpec(_Model):
    sql: list[Path] = Field(min_length=1, description="SQL scripts run in order, relative to the scenario file")
    landing_table: str = Field(min_length=1)
    layers: list[str] = Field(min_length=1, description="tables whose freshness is measured, landing first, gold last")
    key: str = Field(description="the feed's column that orders changes: one key's rows share a Streaming channel")
    stage: str | None = Field(None, description="the stage Snowpipe variants PUT files to")
    pipe: str | None = Field(None, description="the pipe Snowpipe variants notify")

    @model_validator(mode="before")
    @classmethod
    def _one_script(cls, value: Any) -> Any:
        if isinstance(value, dict) and isinstance(value.get("sql"), str):
            return {**value, "sql": [value["sql"]]}
        return value


class Schedules(_Model):
    tasks: dict[str, str] = Field(default_factory=dict, description="task name -> SCHEDULE, e.g. '1 MINUTE'")
    target_lags: dict[str, str] = Field(
        default_factory=dict, description="dynamic table -> TARGET_LAG, e.g. '1 minute'"
    )


class WarehouseSpec(_Model):
    name: str = "COMPUTE_WH"
    size: Literal["XSMALL", "SMALL", "MEDIUM", "LARGE", "XLARGE"] = "XSMALL"
    auto_suspend: Seconds = 60.0


#: On-demand $ per credit (Consumption Table eff. 2026-03-31, Table 2; R93).
PRICE_PER_CREDIT = {
    "aws_us_east_1": {"standard": 2.00, "enterprise": 3.00, "business_critical": 4.00},
    "aws_eu_central_1": {"standard": 2.60, "enterprise": 3.90, "business_critical": 5.20},
    "aws_eu_west_2": {"standard": 2.70, "enterprise": 4.00, "business_critical": 5.40},
}


class Pricing(_Model):
    edition: Literal["standard", "enterprise", "business_critical"] = "enterprise"
    region: Literal["aws_us_east_1", "aws_eu_central_1", "aws_eu_west_2"] = "aws_us_east_1"
    price_per_credit: float | None = Field(None, gt=0, description="overrides edition and region")
    #: per_gb: 0.0037 credits/GB (current); legacy: compute + 0.06 credits per 1,000 files (before 2025-12-08).
    snowpipe: Literal["per_gb", "legacy"] = "per_gb"
    #: INFERRED, for classic Streaming's file migration and legacy Snowpipe's load compute: calibrate live.
    classic_migration_seconds_per_gb: float = Field(60.0, ge=0)

    @property
    def dollars_per_credit(self) -> float:
        return self.price_per_credit or PRICE_PER_CREDIT[self.region][self.edition]


class ReportSpec(_Model):
    objective: Literal["freshest_under", "cheapest_under"] = Field(
        "freshest_under", description="what the verdict recommends: the freshest gold (lowest p95) within `budget`, "
                                      "or the cheapest variant within `latency`")
    budget: float | None = Field(None, gt=0, description="freshest_under: US dollars per month (default: 10 % above "
                                                         "the cheapest variant)")
    latency: Seconds | None = Field(None, gt=0, description="cheapest_under: gold p95 bound (default: 10 % above "
                                                            "the freshest variant's)")
    charts: bool = True
    freshness_step: Seconds = Field(10.0, gt=0)
    keep_files: bool = Field(True, description="keep the files Snowpipe variants wrote, under <run>/outbox/ "
                                               "(a day at 100 events/s writes ~2 GB)")

    @model_validator(mode="after")
    def _bound_fits_objective(self) -> ReportSpec:
        if self.objective == "freshest_under" and self.latency is not None:
            raise ValueError("latency bounds the cheapest_under objective; freshest_under takes a budget")
        if self.objective == "cheapest_under" and self.budget is not None:
            raise ValueError("budget bounds the freshest_under objective; cheapest_under takes a latency")
        return self


class Scenario(_Model):
    name: str = Field(pattern=NAME, description=NAME_RULE)
    description: str = ""
    seed: int = 0
    start: datetime = DEFAULT_START
    duration: Annotated[Seconds, AfterValidator(_runnable_duration)] = Field(gt=0)
    drain: Seconds = Field(900.0, description="how long in-flight data may take to reach gold after the workload stops")
    pipeline: PipelineSpec
    workload: Workload
    variants: list[Variant] = Field(min_length=1)
    schedules: Schedules = Schedules()
    warehouse: WarehouseSpec = WarehouseSpec()
    pricing: Pricing = Pricing()
    report: ReportSpec = ReportSpec()
    faults: list[Fault] = Field([], description="faults to inject; the report shows what became of each")

    @model_validator(mode="after")
    def _variants_fit(self) -> Scenario:
        problems = []
        names = [v.name for v in self.variants]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            problems.append(f"variant names must be unique, {', '.join(duplicates)} repeats")
        if any(v.ingestion == "snowpipe" for v in self.variants) and not (self.pipeline.stage and self.pipeline.pipe):
            problems.append("a snowpipe variant needs pipeline.stage and pipeline.pipe")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def faults_for(self, variant: Variant) -> list[Fault]:
        """The faults that strike `variant`: those naming it, or naming none, of its ingestion method."""
        chosen = []
        for fault in self.faults:
            methods = FAULT_INGESTION.get(fault.kind)
            if methods is not None and variant.ingestion not in methods:
                continue
            if not fault.variants or variant.name in fault.variants:
                chosen.append(fault)
        return chosen

    def limits(self) -> list[str]:
        """What makes a valid scenario unable to run, each naming its key: restarts or faults after the end, more
        events than one run holds."""
        problems = []
        for index, variant in enumerate(self.variants):
            late = [r for r in getattr(variant, "restarts", []) if r >= self.duration]
            if late:
                problems.append(f"variants[{index}].restarts: {late[0]:g} s is not before the run ends "
                                f"(duration {self.duration:g} s)")
        names = {v.name for v in self.variants}
        for index, fault in enumerate(self.faults):
            if fault.at >= self.duration:
                problems.append(f"faults[{index}].at: {fault.at:g} s is not before the run ends "
                                f"(duration {self.duration:g} s)")
            unknown = [name for name in fault.variants if name not in names]
            if unknown:
                problems.append(f"faults[{index}].variants: no variant {unknown[0]!r}; the scenario's are "
                                f"{', '.join(sorted(names))}")
        profile = getattr(self.workload, "profile", None)
        events = self.workload.rate * (max(1.0, profile.peak_factor) if profile else 1.0) * self.duration
        if events > MAX_EVENTS:
            problems.append(f"workload.rate: {self.workload.rate:g}/s for {self.duration:g} s is about {events:,.0f} "
                            f"events, more than the {MAX_EVENTS:,} one run can hold (~1.5 kB of tables each); "
                            "lower the rate or shorten the duration")
        return problems

    @property
    def start_utc(self) -> datetime:
        return self.start if self.start.tzinfo else self.start.replace(tzinfo=UTC)


class ScenarioError(Exception):
    """A scenario file that cannot run: every problem found, each naming the file and key path."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path.name or path}: {p}" for p in problems))


class LoadedScenario(BaseModel):
    """A validated scenario, where it came from, and its checksum."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    path: Path
    sha256: str
    scenario: Scenario

    def sql_paths(self) -> list[Path]:
        return [(self.path.parent / p).resolve() for p in self.scenario.pipeline.sql]


def load(path: str | Path) -> LoadedScenario:
    """Read and validate a scenario file; raises ScenarioError listing every problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise ScenarioError(path, ["is a folder: give the scenario file (YAML) in it"]) from None
    except OSError as error:
        raise ScenarioError(path, [f"cannot read the file: {error.strerror}"]) from error
    try:
        data = _safe_yaml(raw)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ScenarioError(path, [f"{where}not valid YAML: {getattr(error, 'problem', error)}"]) from error
    if not isinstance(data, dict):
        raise ScenarioError(
            path, [f"expected a mapping of keys (name, duration, pipeline, ...), got {type(data).__name__}"]
        )
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(path, [_problem(e, data) for e in error.errors()]) from None
    loaded = LoadedScenario(path=path, sha256=hashlib.sha256(raw).hexdigest(), scenario=scenario)
    missing = [f"pipeline.sql[{i}]: no such file {p}" for i, p in enumerate(loaded.sql_paths()) if not p.is_file()]
    if missing or scenario.limits():
        raise ScenarioError(path, missing + scenario.limits())
    return loaded


#: More values than a scenario file has any use for: what a "billion laughs" of anchors and aliases expands to.
MAX_YAML_VALUES = 100_000


def _safe_yaml(raw: bytes) -> Any:
    """The YAML document, refused when its aliases expand it past MAX_YAML_VALUES values (counted on the
    composed node graph, without expanding it)."""
    node = yaml.compose(raw, Loader=yaml.SafeLoader)
    if node is None:
        return None
    sizes: dict[int, int] = {}

    def size(current: yaml.Node) -> int:
        if id(current) not in sizes:
            children = ([item for pair in current.value for item in pair] if isinstance(current, yaml.MappingNode)
                        else current.value if isinstance(current, yaml.SequenceNode) else [])
            sizes[id(current)] = 1 + sum(min(size(child), MAX_YAML_VALUES) for child in children)
        return sizes[id(current)]

    if size(node) > MAX_YAML_VALUES:
        raise yaml.YAMLError(f"the document expands to more than {MAX_YAML_VALUES:,} values through its aliases "
                             "(anchors repeated inside each other); write the values out")
    return yaml.safe_load(raw)


def _problem(error: dict, data: Any) -> str:
    location = [str(part) for part in error["loc"]]
    # Discriminated unions add the tag (e.g. 'snowpipe') to the path; it is not a key of the file.
    key_path = ".".join(p if not p.isdigit() else f"[{p}]" for p in location if not _is_tag(p)).replace(".[", "[")
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "extra_forbidden":
        parent, name = location[:-1], location[-1]
        fields = _fields_at(parent, data)
        suggestion = difflib.get_close_matches(name, fields, n=1) or _key_paths(Scenario).get(name)
        hint = (f"; did you mean {' or '.join(repr(s) for s in suggestion)}?" if suggestion
                else f"; expected one of {', '.join(fields)}")
        return f"{key_path}: unknown key{hint}"
    # Our own checks say what they got; the top-level ones would echo the whole file.
    got = f", got {_show(error.get('input'))}" if "input" in error and kind not in ("missing", "value_error") else ""
    messages = {
        "missing": "required",
        "greater_than": f"must be > {_show(context.get('gt'))}",
        "greater_than_equal": f"must be >= {_show(context.get('ge'))}",
        "less_than_equal": f"must be <= {_show(context.get('le'))}",
        "literal_error": f"must be one of {context.get('expected')}",
        "union_tag_invalid": f"must be one of {context.get('expected_tags')}",
        "union_tag_not_found": f"needs the key {context.get('discriminator')} (see scenarios/schema.json for its "
                               "values)",
        "too_short": "must not be empty",
        "string_pattern_mismatch": f"must be a plain name: {NAME_RULE}",
    }
    message = messages.get(kind) or error["msg"].removeprefix("Value error, ")
    if kind == "union_tag_invalid":
        got = f", got {_show(context.get('tag'))}"
    return f"{key_path or '(top level)'}: {message[0].lower() + message[1:]}{got}"


def _is_tag(part: str) -> bool:
    return part in _tags()


@functools.cache
def _tags() -> frozenset[str]:
    """The tags of the discriminated unions' members (variants' ingestion, workloads' kind)."""
    members = [m for union in (Variant, Workload) for m in _mapping_models(get_args(union)[0])]
    return frozenset(tag for model in members for name in ("ingestion", "kind") if name in model.model_fields
                     for tag in get_args(model.model_fields[name].annotation))


def _fields_at(location: list[str], data: Any) -> list[str]:
    """The keys the model at a path of the file accepts (for "did you mean")."""
    annotation: Any = Scenario
    node = data
    for part in location:
        if _is_tag(part):
            continue
        if part.isdigit():
            node = node[int(part)] if isinstance(node, list) and int(part) < len(node) else {}
            continue
        model = _model_of(annotation, node)
        field = model.model_fields.get(part) if model else None
        if field is None:
            return []
        annotation, node = field.annotation, node.get(part, {}) if isinstance(node, dict) else {}
    model = _model_of(annotation, node)
    return list(model.model_fields) if model else []


def _key_paths(model: type[BaseModel], prefix: str = "") -> dict[str, list[str]]:
    """Every key of the file reachable through mappings, by name: where a key put in the wrong place belongs."""
    paths: dict[str, list[str]] = {}
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        paths.setdefault(name, []).append(path)
        for child in _mapping_models(field.annotation):
            for key, found in _key_paths(child, f"{path}.").items():
                paths.setdefault(key, []).extend(p for p in found if p not in paths[key])
    return paths


def _mapping_models(annotation: Any) -> list[type[BaseModel]]:
    """The models a field holds as one mapping (itself, or a union's members); not a list's items, which have no
    single path."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if get_origin(annotation) in (Union, UnionType):
        return [model for member in get_args(annotation) for model in _mapping_models(member)]
    return []


def _model_of(annotation: Any, node: Any) -> type[BaseModel] | None:
    """The model class an annotation stands for at `node` (a union's member is chosen by its 'ingestion' tag)."""
    models, pending = [], [annotation]
    while pending:
        current = pending.pop()
        if isinstance(current, type) and issubclass(current, BaseModel):
            models.append(current)
        else:
            pending.extend(a for a in get_args(current) if not isinstance(a, type(Field())))
    for model in models:
        tag = model.model_fields.get("ingestion") or model.model_fields.get("kind")
        key = "ingestion" if "ingestion" in model.model_fields else "kind"
        if tag is None or len(models) == 1 or (isinstance(node, dict) and node.get(key) in get_args(tag.annotation)):
            return model
    return None


#: Shows a value in an error without expanding it: a YAML alias bomb shares its parts, and printing it whole
#: would take for ever.
_BOUNDED = reprlib.Repr()
_BOUNDED.maxlevel, _BOUNDED.maxlist, _BOUNDED.maxdict, _BOUNDED.maxstring, _BOUNDED.maxother = 2, 4, 4, 50, 50


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else _BOUNDED.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def json_schema() -> dict:
    """The JSON Schema of scenario files (scenarios/schema.json)."""
    schema = Scenario.model_json_schema()
    schema["$id"] = "https://snowsim.dev/schemas/scenario.json"
    schema["title"] = "snowsim scenario"
    return schema
