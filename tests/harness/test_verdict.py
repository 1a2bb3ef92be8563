"""The verdict: which variant the scenario's objective picks, and what each variant's figures rest on."""

from __future__ import annotations

import pytest

from sim.report.verdict import cost_mix, recommend, unstable_reason, verdict

P95 = {"snowpipe": 150.0, "classic": 90.0, "hp": 96.0}
COST = {"snowpipe": 2100.0, "classic": 2180.0, "hp": 2160.0}


@pytest.mark.parametrize(("spec", "expected"), [
    ({}, "Recommended: classic, the freshest gold within $2,310.00/month (10 % above the cheapest)"),
    ({"objective": "freshest_under", "budget": 2170}, "Recommended: hp, the freshest gold within $2,170.00/month:"),
    ({"objective": "freshest_under", "budget": 2000}, "No variant stays within $2,000.00/month; the cheapest is "
                                                      "snowpipe at $2,100.00/month."),
    ({"objective": "cheapest_under"}, "Recommended: hp, the cheapest within a gold p95 of 99.0 s (10 % above the "
                                      "freshest)"),
    ({"objective": "cheapest_under", "latency": 200}, "Recommended: snowpipe, the cheapest within a gold p95 of "
                                                      "200.0 s: $2,100.00/month at p95 150.0 s."),
    ({"objective": "cheapest_under", "latency": 60}, "No variant keeps a gold p95 of 60.0 s; the freshest is classic"),
])
def test_the_objective_picks_the_variant(spec, expected) -> None:
    assert recommend(spec, P95, COST, "gold").startswith(expected)


def test_a_variant_that_never_made_gold_visible_is_not_recommended() -> None:
    assert recommend({}, {**P95, "classic": None}, COST, "gold").startswith("Recommended: hp")
    assert recommend({}, dict.fromkeys(P95), COST, "gold").startswith("No variant made gold (gold) visible")


def test_the_cost_mix_says_what_dominates() -> None:
    monthly = {"warehouse": 2000.0, "serverless tasks": 158.0, "streaming client hours": 21.6,
               "streaming migration": 0.4}
    assert cost_mix({"dollars_per_month_by_component": monthly}) == "compute 99 %, ingestion $22.00"


def _variant(name: str, *, steady: float, runs: int, simulated: float = 3600.0) -> dict:
    since = simulated - steady
    return {"name": name, "simulated_seconds": simulated,
            "busy": [[since + i, since + i + 1, "task"] for i in range(runs)] + [[0.0, 1.0, "warm-up run"]],
            "latency": {"gold": {"p50": 60.0, "p95": 90.0}},
            "costs": {"steady_seconds": steady, "dollars_per_month": 100.0,
                      "dollars_per_month_by_component": {"warehouse": 100.0}}}


@pytest.mark.parametrize(("steady", "runs", "expected"), [
    (2700, 40, None),
    (450, 40, "unstable: the steady window is 8 min (under 30)"),
    (2700, 5, "unstable: it holds 5 warehouse runs (under 20)"),
])
def test_a_monthly_figure_from_too_short_a_window_is_marked(steady, runs, expected) -> None:
    reason = unstable_reason(_variant("v", steady=steady, runs=runs))
    assert reason == expected if expected is None else reason.startswith(expected)


def test_the_verdict_names_every_variant_and_says_an_unstable_reason_once() -> None:
    record = {"scenario": {"snapshot": {"pipeline": {"layers": ["landing", "gold"]}, "report": {}}},
              "variants": [_variant(name, steady=450, runs=40) for name in ("a", "b", "c")]}
    found = verdict(record)
    assert [r.name for r in found.rows] == ["a", "b", "c"]
    assert [r.vs_cheapest for r in found.rows] == [0.0, 0.0, 0.0]
    assert len(found.notes) == 1 and found.notes[0].startswith("Every variant's $ / month is unstable")
