"""Compare two runs: one mark per metric and variant (better, worse, same), or not comparable.

Runs of different scenarios (sha256 differs) measure different things: every metric is then
"not comparable", with the reason. Lower is better for latencies and costs, higher for speed-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: (name, how to read it from a variant, True when lower is better)
METRICS = [
    ("landing p50 (s)", lambda v, layers: v["latency"].get(layers[0], {}).get("p50"), True),
    ("landing p95 (s)", lambda v, layers: v["latency"].get(layers[0], {}).get("p95"), True),
    ("gold p50 (s)", lambda v, layers: v["latency"].get(layers[-1], {}).get("p50"), True),
    ("gold p95 (s)", lambda v, layers: v["latency"].get(layers[-1], {}).get("p95"), True),
    ("$ / month", lambda v, layers: v["costs"]["dollars_per_month"], True),
    ("credits", lambda v, layers: v["costs"]["credits"], True),
    ("speed-up", lambda v, layers: v.get("speedup"), False),
]
#: Differences smaller than this share of the baseline are "same".
TOLERANCE = 0.01


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
        for name, read, lower_is_better in METRICS:
            now = read(variant, layers)
            then = read(previous, before["scenario"]["snapshot"]["pipeline"]["layers"]) if previous else None
            if not same_scenario:
                marks.append(Mark(variant["name"], name, then, now, "not comparable", reason))
            elif previous is None or then is None or now is None:
                marks.append(Mark(variant["name"], name, then, now, "not comparable", "missing in one run"))
            else:
                marks.append(Mark(variant["name"], name, then, now, _verdict(then, now, lower_is_better)))
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


def _verdict(before: float, after: float, lower_is_better: bool) -> str:
    if abs(after - before) <= TOLERANCE * max(abs(before), 1e-12):
        return "same"
    improved = after < before if lower_is_better else after > before
    return "better" if improved else "worse"
