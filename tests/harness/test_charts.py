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


def test_a_late_tail_cuts_the_cdf_axis_at_p99_and_says_so(tmp_path) -> None:
    import matplotlib.pyplot as plt

    from sim.report import charts

    tail = [float(p) for p in range(100)] + [3_000.0]  # one late event in a hundred
    record = _record({"landing": [tail, tail]})
    record["scenario"]["name"] = "late"
    for v, name in zip(record["variants"], ("a", "b"), strict=True):
        v.update(name=name, latency={"landing": {"p50": 50.0, "p95": 95.0}})
    charts.latency_cdf(record, tmp_path / "cdf.png")
    axis = plt.gcf().axes[0]  # the figure just drawn stays open until draw_all closes it
    assert axis.get_xlim()[1] == 99 * 1.15
    assert axis.get_xlabel() == "event to visible (s); cut at p99, max 3,000 s"
    plt.close("all")
