"""The report's charts: what each panel groups and shows."""

from __future__ import annotations

from sim.report.charts import layer_paths


def _record(curves: dict[str, list[list[float]]]) -> dict:
    layers = list(curves)
    return {"scenario": {"snapshot": {"pipeline": {"layers": layers}}},
            "variants": [{"latency_percentiles": {layer: curves[layer][i] for layer in layers}} for i in range(2)]}


def test_layers_visible_together_share_a_cdf_panel_and_distinct_ones_do_not() -> None:
    landing = [[float(p) for p in range(101)], [p / 2 for p in range(101)]]
    silver = [[p + 60.0 for p in range(101)], [p + 30.0 for p in range(101)]]
    chained = [[p + 0.2 for p in curve] for curve in silver]  # a task after the MERGE: 0.2 s later
    gold = [[p + 90.0 for p in range(101)], [p + 30.5 for p in range(101)]]  # close in one variant only
    record = _record({"landing": landing, "silver": silver, "events": chained, "gold": gold})
    assert layer_paths(record) == [["landing"], ["silver", "events"], ["gold"]]


def test_an_untraced_layer_is_a_panel_of_its_own() -> None:
    traced = [[float(p) for p in range(101)]] * 2
    assert layer_paths(_record({"landing": traced, "gold": [[], []], "mart": [[], []]})) == \
        [["landing"], ["gold"], ["mart"]]
