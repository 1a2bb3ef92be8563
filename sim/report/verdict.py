"""The answer first: per variant gold freshness and steady $/month, how each compares, what its cost
is made of, and which variant the scenario's objective picks. The report and the terminal show it.

Objectives (scenario `report:`): `freshest_under` picks the lowest gold p95 within `budget` $/month
(default 10 % above the cheapest variant); `cheapest_under` the lowest $/month within a gold p95 of
`latency` (default 10 % above the freshest variant's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: A default bound is this much above the best variant: "about as cheap" / "about as fresh".
DEFAULT_SLACK = 0.10
#: Compute components: the rest is ingestion (Snowpipe, Streaming).
COMPUTE = ("warehouse", "serverless tasks")
#: A monthly figure scaled from a shorter steady window, or from fewer warehouse runs, is marked unstable.
MIN_STEADY_MINUTES = 30
MIN_STEADY_RUNS = 20


@dataclass(frozen=True)
class Row:
    name: str
    gold_p50: float | None
    gold_p95: float | None
    dollars_per_month: float
    vs_cheapest: float  # $/month above the cheapest variant
    vs_freshest: float | None  # gold p95 seconds above the freshest variant
    cost_mix: str  # e.g. "compute 99 %, ingestion $1.52"
    unstable: str | None  # why the monthly figure is not stable, if it is not

    def cells(self) -> list[str]:
        """The row as the report and the terminal show it: name, gold p50 / p95, $/month, the gaps, the mix."""
        gold = "-" if self.gold_p95 is None else f"{self.gold_p50:.1f} / {self.gold_p95:.1f}"
        cheaper = f"+{self.vs_cheapest:,.2f}" if self.vs_cheapest else "cheapest"
        fresher = "-" if self.vs_freshest is None else f"+{self.vs_freshest:.1f} s" if self.vs_freshest else "freshest"
        return [self.name, gold, f"{self.dollars_per_month:,.2f}", cheaper, fresher, self.cost_mix]


@dataclass(frozen=True)
class Verdict:
    rows: list[Row]
    recommendation: str

    @property
    def notes(self) -> list[str]:
        """Which monthly figures are unstable and why: one line when every variant's reason is the same."""
        reasons = {r.unstable for r in self.rows}
        if len(self.rows) > 1 and len(reasons) == 1 and None not in reasons:
            return [f"Every variant's $ / month is {reasons.pop()}."]
        return [f"{r.name}'s $ / month is {r.unstable}." for r in self.rows if r.unstable]


def verdict(record: dict[str, Any]) -> Verdict:
    snapshot = record["scenario"]["snapshot"]
    gold = snapshot["pipeline"]["layers"][-1]
    spec = snapshot.get("report", {})
    variants = record["variants"]
    p95 = {v["name"]: v["latency"].get(gold, {}).get("p95") for v in variants}
    cost = {v["name"]: v["costs"]["dollars_per_month"] for v in variants}
    cheapest = min(cost.values())
    known = [p for p in p95.values() if p is not None]
    freshest = min(known) if known else None
    def behind(name: str) -> float | None:
        return None if p95[name] is None or freshest is None else p95[name] - freshest

    rows = [
        Row(v["name"], v["latency"].get(gold, {}).get("p50"), p95[v["name"]], cost[v["name"]],
            cost[v["name"]] - cheapest, behind(v["name"]), cost_mix(v["costs"]), unstable_reason(v))
        for v in variants
    ]
    return Verdict(rows, recommend(spec, p95, cost, gold))


def recommend(spec: dict[str, Any], p95: dict[str, float | None], cost: dict[str, float], gold: str) -> str:
    """One sentence: the variant the objective picks, and why; or that none fits, and the nearest."""
    timed = {name: value for name, value in p95.items() if value is not None}
    if not timed:
        return f"No variant made gold ({gold}) visible, so there is nothing to recommend: see the problems above."
    if spec.get("objective", "freshest_under") == "freshest_under":
        budget = spec.get("budget")
        stated = budget is not None
        budget = budget if stated else min(cost.values()) * (1 + DEFAULT_SLACK)
        bound = f"${budget:,.2f}/month" + ("" if stated else " (10 % above the cheapest)")
        fits = [name for name in timed if cost[name] <= budget]
        if not fits:
            nearest = min(cost, key=cost.get)
            return f"No variant stays within {bound}; the cheapest is {nearest} at ${cost[nearest]:,.2f}/month."
        best = min(fits, key=lambda name: (timed[name], cost[name]))
        return (f"Recommended: {best}, the freshest gold within {bound}: p95 {timed[best]:.1f} s for "
                f"${cost[best]:,.2f}/month.")
    latency = spec.get("latency")
    stated = latency is not None
    latency = latency if stated else min(timed.values()) * (1 + DEFAULT_SLACK)
    bound = f"a gold p95 of {latency:.1f} s" + ("" if stated else " (10 % above the freshest)")
    fits = [name for name in timed if timed[name] <= latency]
    if not fits:
        nearest = min(timed, key=timed.get)
        return f"No variant keeps {bound}; the freshest is {nearest} at p95 {timed[nearest]:.1f} s."
    best = min(fits, key=lambda name: (cost[name], timed[name]))
    return f"Recommended: {best}, the cheapest within {bound}: ${cost[best]:,.2f}/month at p95 {timed[best]:.1f} s."


def cost_mix(costs: dict[str, Any]) -> str:
    """What the steady monthly cost is made of: the compute share, and ingestion in dollars."""
    monthly = costs.get("dollars_per_month_by_component") or {}
    total = sum(monthly.values())
    if not total:
        return "-"
    compute = sum(value for name, value in monthly.items() if name in COMPUTE)
    ingestion = total - compute
    return f"compute {100 * compute / total:.0f} %, ingestion ${ingestion:,.2f}"


def unstable_reason(variant: dict[str, Any]) -> str | None:
    """Why a variant's monthly figure rests on too little, or None: the steady window is short, or the
    warehouse ran too few times in it for the compute rate to settle."""
    steady = variant["costs"].get("steady_seconds")
    if steady is None:
        return None
    since = variant["simulated_seconds"] - steady
    runs = sum(1 for start, *_ in variant.get("busy", []) if since <= start < variant["simulated_seconds"])
    reasons = []
    if steady < MIN_STEADY_MINUTES * 60:
        reasons.append(f"the steady window is {steady / 60:.0f} min (under {MIN_STEADY_MINUTES})")
    if runs < MIN_STEADY_RUNS:
        reasons.append(f"it holds {runs} warehouse runs (under {MIN_STEADY_RUNS})")
    if not reasons:
        return None
    return "unstable: " + " and ".join(reasons) + "; run longer for a monthly figure to rely on"
