"""Compare two runs: one mark per metric and variant (better, worse, same), or not comparable.

Runs of different scenarios (sha256 differs) measure different things: every metric is then
"not comparable", with the reason. Lower is better for latencies and costs, higher for speed-up.
Simulated figures repeat exactly; speed-up is wall time, which varies from run to run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Differences smaller than this share of the baseline are "same" (simulated figures).
TOLERANCE = 0.01
#: The same for speed-up: back-to-back runs of the same code on one 2-core machine took 12.4-15.7 s
#: for the same simulated hour (2026-12-01), so smaller differences say nothing about the code.
WALL_TOLERANCE = 0.15

#: (name, how to read it from a variant, True when lower is better, tolerance)
METRICS = [
    ("landing p50 (s)", lambda v, layers: v["latency"].get(layers[0], {}).get("p50"), True, TOLERANCE),
    ("landing p95 (s)", lambda v, layers: v["latency"].get(layers[0], {}).get("p95"), True, TOLERANCE),
    ("gold p50 (s)", lambda v, layers: v["latency"].get(layers[-1], {}).get("p50"), True, TOLERANCE),
    ("gold p95 (s)", lambda v, layers: v["latency"].get(layers[-1], {}).get("p95"), True, TOLERANCE),
    ("$ / month", lambda v, layers: v["costs"]["dollars_per_month"], True, TOLERANCE),
    ("credits", lambda v, layers: v["costs"]["credits"], True, TOLERANCE),
    ("speed-up", lambda v, layers: v.get("speedup"), False, WALL_TOLERANCE),
]


@dataclass(frozen=True)
class Mark:
    variant: str
    metric: str
    before: float | None
    after: float | None
    verdict: str  # better | worse | same | not comparable
    reason: str = ""


def compare(before: dict[str, Any], after: dict[str, Any]) -> list[Mark]:
    same_scenario = before["scenario"]["sha256"] == after["scenario"]["sha256"]
    reason = "" if same_scenario else scenario_difference(before["scenario"], after["scenario"])
    layers = after["scenario"]["snapshot"]["pipeline"]["layers"]
    old = {v["name"]: v for v in before["variants"]}
    marks = []
    for variant in after["variants"]:
        previous = old.get(variant["name"])
        for name, read, lower_is_better, tolerance in METRICS:
            now = read(variant, layers)
            then = read(previous, before["scenario"]["snapshot"]["pipeline"]["layers"]) if previous else None
            if not same_scenario:
                marks.append(Mark(variant["name"], name, then, now, "not comparable", reason))
            elif previous is None or then is None or now is None:
                marks.append(Mark(variant["name"], name, then, now, "not comparable", "missing in one run"))
            else:
                marks.append(Mark(variant["name"], name, then, now, _verdict(then, now, lower_is_better, tolerance)))
    return marks


def scenario_difference(before: dict[str, Any], after: dict[str, Any], *, shown: int = 3) -> str:
    """Why two runs' scenarios differ, in words: the first few settings that changed, else the file hashes."""
    changes = _changed(before.get("snapshot"), after.get("snapshot"), "")
    hashes = f"{before['sha256'][:12]} vs {after['sha256'][:12]}"
    if not changes:
        return f"scenario files differ ({hashes})"
    more = f" and {len(changes) - shown} more" if len(changes) > shown else ""
    return f"scenario differs: {'; '.join(changes[:shown])}{more}"


def _changed(before: Any, after: Any, path: str) -> list[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        return [change for key in dict.fromkeys([*before, *after])
                for change in _changed(before.get(key), after.get(key), f"{path}.{key}" if path else str(key))]
    if before == after:
        return []
    return [f"{path or 'scenario'} {_short(before)} -> {_short(after)}"]


def _short(value: Any) -> str:
    text = "-" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _verdict(before: float, after: float, lower_is_better: bool, tolerance: float) -> str:
    if abs(after - before) <= tolerance * max(abs(before), 1e-12):
        return "same"
    improved = after < before if lower_is_better else after > before
    return "better" if improved else "worse"
