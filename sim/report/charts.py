"""The report's charts, drawn from a run record with matplotlib (Agg, files only).

Every chart has a title, axis labels with units and a legend.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first

from sim.report.verdict import COMPUTE  # noqa: E402

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def draw_all(record: dict[str, Any], folder: Path) -> list[tuple[str, Path]]:
    """Every chart of the report: (title, PNG path)."""
    charts = [
        ("Latency CDF by layer", latency_cdf(record, folder / "latency_cdf.png")),
        ("Gold freshness over time", freshness(record, folder / "gold_freshness.png")),
        ("Cost breakdown", cost_breakdown(record, folder / "cost_breakdown.png")),
        ("Latency vs cost", latency_vs_cost(record, folder / "latency_vs_cost.png")),
        ("Warehouse activity", warehouse_activity(record, folder / "warehouse_activity.png")),
    ]
    plt.close("all")
    return charts


def _layers(record: dict[str, Any]) -> list[str]:
    return record["scenario"]["snapshot"]["pipeline"]["layers"]


#: Layers whose latency differs by less than this at every percentile share a CDF panel (s): a chained task
#: that makes the next layer visible 0.2 s later draws the same curve.
SAME_PATH_SECONDS = 1.0


def layer_paths(record: dict[str, Any]) -> list[list[str]]:
    """The traced layers grouped by latency within SAME_PATH_SECONDS of the previous layer's in every variant:
    one CDF panel per group, in pipeline order."""
    def curves(layer: str) -> list[list[float]]:
        return [v["latency_percentiles"].get(layer) or [] for v in record["variants"]]

    groups: list[list[str]] = []
    for layer in _layers(record):
        if groups and _close(curves(groups[-1][-1]), curves(layer)):
            groups[-1].append(layer)
        else:
            groups.append([layer])
    return groups


def _close(a: list[list[float]], b: list[list[float]]) -> bool:
    return all(len(x) == len(y) and all(abs(p - q) < SAME_PATH_SECONDS for p, q in zip(x, y, strict=True))
               for x, y in zip(a, b, strict=True)) and any(a)


def latency_cdf(record: dict[str, Any], path: Path) -> Path:
    """A CDF panel per distinct layer path, each variant's p50 and p95 marked and given in the legend."""
    paths = layer_paths(record)
    columns = min(3, len(paths))
    rows = (len(paths) + columns - 1) // columns
    figure, axes = plt.subplots(rows, columns, figsize=(5 * columns, 3.8 * rows), squeeze=False)
    for position, layers in enumerate(paths):
        axis = axes[position // columns][position % columns]
        for color, variant in zip(COLORS, record["variants"], strict=False):
            values = variant["latency_percentiles"].get(layers[0]) or []
            if not values:
                continue
            figures = variant["latency"].get(layers[0], {})
            axis.plot(values, [p / 100 for p in range(101)], color=color,
                      label=f"{variant['name']}: p50 {figures['p50']:,.0f} s, p95 {figures['p95']:,.0f} s")
            axis.plot([figures["p50"], figures["p95"]], [0.5, 0.95], "o", color=color, markersize=4)
        for share in (0.5, 0.95):
            axis.axhline(share, color="#999999", linewidth=0.6, linestyle=":")
        curves = [c for c in (v["latency_percentiles"].get(layers[0]) for v in record["variants"]) if c]
        p99, longest = max((c[99] for c in curves), default=0.0), max((c[100] for c in curves), default=0.0)
        cut = longest > 2 * p99 > 0  # a late tail would squeeze every curve against the axis
        if cut:
            axis.set_xlim(0, p99 * 1.15)
        together = f"\n(visible within {SAME_PATH_SECONDS:g} s of each other)" if len(layers) > 1 else ""
        axis.set_title(", ".join(layers) + together, fontsize=9)
        axis.set_xlabel(f"event to visible (s){f'; cut at p99, max {longest:,.0f} s' if cut else ''}")
        axis.set_ylabel("share of events")
        axis.set_ylim(0, 1.02)
        axis.grid(alpha=0.3)
        if axis.get_legend_handles_labels()[0]:  # an untraced layer has no line
            axis.legend(fontsize=7, loc="lower right")
    for position in range(len(paths), rows * columns):
        axes[position // columns][position % columns].axis("off")
    figure.suptitle(f"Latency from source commit to visible, by layer (dots: p50, p95) — {record['scenario']['name']}")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return path


def freshness(record: dict[str, Any], path: Path) -> Path:
    figure, axis = plt.subplots(figsize=(10, 4))
    for color, variant in zip(COLORS, record["variants"], strict=False):
        series = variant["freshness"]
        minutes = [s / 60 for s in series["seconds"]]
        axis.plot(minutes, series["lag"], color=color, label=variant["name"], linewidth=1)
    return _save(
        figure,
        axis,
        path,
        f"Gold freshness: age of the newest source event gold shows ({_layers(record)[-1]})",
        "simulated time since start (min)",
        "lag (s)",
    )


def cost_breakdown(record: dict[str, Any], path: Path) -> Path:
    """Steady $/month by component (the report's one cost figure); a second panel zooms on ingestion,
    cents beside the warehouse's dollars."""
    variants = record["variants"]
    monthly = [v["costs"]["dollars_per_month_by_component"] for v in variants]
    components = sorted({name for m in monthly for name in m})
    ingestion = [c for c in components if c not in COMPUTE]
    figure, (whole, zoom) = plt.subplots(1, 2, figsize=(12, 2.4 + 0.8 * len(variants)),
                                         gridspec_kw={"width_ratios": [3, 2]})
    names = [v["name"] for v in variants]
    colors = dict(zip(components, COLORS * 3, strict=False))
    for axis, shown in ((whole, components), (zoom, ingestion)):
        left = [0.0] * len(variants)
        for component in shown:
            widths = [m.get(component, 0.0) for m in monthly]
            axis.barh(names, widths, left=left, color=colors[component], label=component)
            left = [a + b for a, b in zip(left, widths, strict=True)]
        axis.grid(axis="x", alpha=0.3)
        axis.set_xlabel("US dollars per 30-day month (steady rate)")
    whole.set_title("Cost per month by component")
    whole.set_ylabel("variant")
    zoom.set_title("Ingestion only (zoomed)")
    zoom.set_yticks(range(len(names)), [""] * len(names))
    # One legend for both panels, below them: it covers no bar.
    figure.legend(*whole.get_legend_handles_labels(), loc="lower center", ncol=min(len(components), 6), fontsize=8)
    figure.tight_layout(rect=(0, 0.12, 1, 1))
    figure.savefig(path, dpi=110)
    return path


def latency_vs_cost(record: dict[str, Any], path: Path) -> Path:
    gold = _layers(record)[-1]
    figure, axis = plt.subplots(figsize=(7, 4.5))
    for color, variant in zip(COLORS, record["variants"], strict=False):
        p95 = variant["latency"].get(gold, {}).get("p95")
        if p95 is None:
            continue
        dollars = variant["costs"]["dollars_per_month"]
        axis.scatter([p95], [dollars], color=color, s=60, label=variant["name"])
    # From zero, with headroom: a few percent must look like a few percent, and no point sits on the frame.
    axis.set_xlim(0, axis.get_xlim()[1] * 1.1)
    axis.set_ylim(0, axis.get_ylim()[1] * 1.15)
    return _save(figure, axis, path, "Gold p95 latency vs cost per month", f"p95 latency to {gold} (s)",
                 "US dollars per 30-day month (steady rate)", legend="lower right")


def warehouse_activity(record: dict[str, Any], path: Path) -> Path:
    """Per variant, when the warehouse ran and was billed (the 60-second minimum after a resume included) and,
    on top, the task runs and refreshes it ran; suspended time is blank."""
    variants = record["variants"]
    figure, axis = plt.subplots(figsize=(10, 1.6 + 0.8 * len(variants)))
    for row, (color, variant) in enumerate(zip(COLORS, variants, strict=False)):
        periods = variant.get("warehouse_periods", [])
        billed = [(max(start, 0) / 60, (until - max(start, 0)) / 60) for start, _, until in periods]
        axis.broken_barh(billed, (row - 0.4, 0.8), color=color, alpha=0.25,
                         label="running (billed)" if not row else None)
        work = [(start / 60, max(end - start, 0.5) / 60) for start, end, _ in variant["busy"]]
        axis.broken_barh(work, (row - 0.2, 0.4), color=color, label="task run or refresh" if not row else None)
        up = sum(until - max(start, 0) for start, _, until in periods)
        axis.text(1.005, row, f"billed {up / 60:,.0f} min", transform=axis.get_yaxis_transform(), va="center",
                  fontsize=8)
    axis.set_yticks(range(len(variants)), [v["name"] for v in variants])
    axis.set_ylim(-0.6, len(variants) - 0.4)
    axis.set_title(f"Warehouse {record['scenario']['snapshot']['warehouse']['name']}: running (billed) and "
                   "suspended (blank), with the work on it")
    axis.set_xlabel("simulated time since start (min)")
    axis.set_ylabel("variant")
    axis.grid(axis="x", alpha=0.3)
    figure.legend(*axis.get_legend_handles_labels(), loc="lower center", ncol=2, fontsize=8)
    figure.tight_layout(rect=(0, 0.1, 0.93, 1))
    figure.savefig(path, dpi=110)
    return path


def _save(figure: Any, axis: Any, path: Path, title: str, xlabel: str, ylabel: str, *, legend: str = "best",
          grid: str = "both") -> Path:
    """Title, axis labels with units, legend and grid: every chart has them."""
    axis.set_title(title)
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    axis.legend(fontsize=8, loc=legend)
    axis.grid(axis=grid, alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return path
