"""report.md and report.html from one list of blocks, so the two always say the same thing.

The HTML embeds its charts (base64 PNG): one file to mail or attach to a ticket.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.report.verdict import verdict


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Image:
    title: str
    path: Path


Block = Heading | Paragraph | Table | Image


def blocks(record: dict[str, Any], charts: list[tuple[str, Path]]) -> list[Block]:
    scenario = record["scenario"]
    snapshot = scenario["snapshot"]
    layers = snapshot["pipeline"]["layers"]
    landing, gold = layers[0], layers[-1]
    variants = record["variants"]
    workload = snapshot["workload"]
    components = sorted({c for v in variants for c in v["costs"]["dollars_per_month_by_component"]})
    out: list[Block] = [
        Heading(f"snowsim run: {scenario['name']}", 1),
        Paragraph(snapshot.get("description") or ""),
        Paragraph(
            f"Workload: {workload['kind']}, {workload['rate']:g} events/s for {snapshot['duration'] / 60:g} simulated "
            f"minutes from {snapshot['start']} (seed {snapshot['seed']})."
        ),
        *verdict_blocks(record),
        Heading("Conservation"),
        *[Paragraph(line) for line in _conservation(record)],
        *[Paragraph(line) for line in problems(record)],
        *[
            Paragraph(
                f"{v['name']}: no version of {', '.join(v['untraced_layers'])} reflects the landing table, so "
                "their latency is unknown: change-track them (a stream, or CHANGE_TRACKING = TRUE) and check "
                "that they read from it."
            )
            for v in variants
            if v.get("untraced_layers")
        ],
        *faults(record),
        Heading("Summary"),
        Table(
            [
                "variant",
                "landing p50 / p95 (s)",
                "documented delays imply (s)",
                "gold p50 / p95 (s)",
                "$ / month",
                "$ / M events",
            ],
            [
                [
                    v["name"],
                    latency_pair(v["latency"].get(landing)),
                    latency_pair(v.get("implied_landing")),
                    latency_pair(v["latency"].get(gold)),
                    f"{v['costs']['dollars_per_month']:,.2f}",
                    _money(v["costs"]["dollars_per_million_events"]),
                ]
                for v in variants
            ],
        ),
        Paragraph(_landing_note(variants, landing)),
        Heading("Latency by layer (seconds from source commit to visible)"),
        Table(
            ["variant", "layer", "events", "p50", "p95", "p99", "max", "not visible"],
            [
                [
                    v["name"],
                    layer,
                    str(v["latency"][layer].get("events", 0)),
                    *_quantiles(v["latency"][layer]),
                    str(v["not_visible"][layer]),
                ]
                for v in variants
                for layer in layers
            ],
        ),
        Heading("Cost breakdown ($ per month, steady rate)"),
        Table(
            ["variant", *components, "$ / month", "credits used (whole run)", "$ / credit"],
            [
                [v["name"], *[f"{v['costs']['dollars_per_month_by_component'].get(c, 0.0):,.2f}" for c in components],
                 f"{v['costs']['dollars_per_month']:,.2f}", f"{v['costs']['credits']:.4f}",
                 f"{v['costs']['dollars_per_credit']:.2f}"]
                for v in variants
            ],
        ),
        Heading("Variants"),
        Table(["variant", "delay chain"], [[v["name"], v["description"]] for v in variants]),
    ]
    if charts:
        out.append(Heading("Charts"))
        out += [Image(title, path) for title, path in charts]
    out += [
        Heading("How these figures are made"),
        Paragraph("Each variant runs the same seeded events through its own emulated account on a virtual clock. "
                  "An event's latency in a layer is the time from its source commit to the first committed version "
                  "of that layer that reflects it, traced through what each version read (version lineage). "
                  "Ingestion delays are the distributions in the table above: Snowpipe's defaults follow "
                  "'typically within a minute' after notification and one file per minute; Streaming classic "
                  "flushes every MAX_CLIENT_LAG (1 s default); high-performance Streaming is 5-10 s ingest to "
                  "query. Warehouse time is the emulator's documented duration model. The cost breakdown is what "
                  "the run used; $ / month and $ / M events are the steady state: ingestion by the events, compute "
                  "as metered from the end of the warm-up (the first quarter of the workload) to the producer's "
                  "stop, so neither the warm-up nor the drain after it is billed as if it recurred. Figures marked "
                  "INFERRED in the scenario reference are assumptions to calibrate with a live run."),
        Heading("How this run was made"),
        Paragraph(f"Scenario sha256 `{scenario['sha256'][:16]}`; run `{record['run_id']}` took "
                  f"{record['wall_seconds']:.1f} s of wall time. Simulation speed (simulated time / wall time): "
                  + ", ".join(f"{v['name']} {v['speedup']:,.0f}x" for v in variants if v.get("speedup")) + "."),
        *_wall_time(variants),
    ]
    return [b for b in out if not (isinstance(b, Paragraph) and not b.text)]


def verdict_blocks(record: dict[str, Any]) -> list[Block]:
    """The answer first: the recommendation, then every variant's gold freshness and steady cost side by side."""
    found = verdict(record)
    gold = record["scenario"]["snapshot"]["pipeline"]["layers"][-1]
    return [
        Heading("Verdict"),
        Paragraph(found.recommendation),
        Table(["variant", f"gold p50 / p95 (s, {gold})", "$ / month", "vs cheapest ($)", "vs freshest (p95)",
               "cost"], [r.cells() for r in found.rows]),
        Paragraph("$ / month is the steady rate (warm-up and drain excluded), the same figure in every table and "
                  "chart of this report; compute is the warehouse and serverless tasks, ingestion Snowpipe or "
                  "Streaming."),
        *[Paragraph(note) for note in found.notes],
    ]


def _wall_time(variants: list[dict]) -> list[Block]:
    """Where each variant's wall time went, by pipeline object and harness step: what to look at when a run is slow."""
    activities = list(dict.fromkeys(a for v in variants for a in v.get("wall_seconds_by_activity", {})))
    if not activities:
        return []
    activities.sort(key=lambda a: (a == "other", -sum(v["wall_seconds_by_activity"].get(a, 0.0) for v in variants)))

    def cell(v: dict, activity: str) -> str:
        seconds = v["wall_seconds_by_activity"].get(activity)
        return "-" if seconds is None else f"{seconds:.2f} s ({100 * seconds / max(v['wall_seconds'], 1e-9):.0f} %)"

    return [
        Heading("Where the wall time went"),
        Paragraph("Seconds of this run's wall time by what the emulated account or the harness was doing; a task "
                  "or refresh counts its own statements, not the upstream refreshes it waited for. "
                  "`python -m sim run FILE --profile` adds a Python profile."),
        Table(["activity", *(v["name"] for v in variants)], [[a, *(cell(v, a) for v in variants)] for a in activities]),
    ]


def _conservation(record: dict[str, Any]) -> list[str]:
    """Per variant: did every generated event land exactly once; if not, what became of the others and why."""
    lines = []
    for v in record["variants"]:
        in_flight, dropped = v.get("in_flight", 0), v.get("dropped", 0)
        if not v["conserved"]:
            lines.append(f"{v['name']}: FAILED: {v['events']:,} generated, {v['landed']:,} landed, "
                         f"{v['missing'] - in_flight - dropped:,} lost, {in_flight:,} not landed before the drain "
                         f"ended, {dropped:,} dropped by injected faults, {v['duplicates']:,} duplicated.")
        elif not in_flight and not dropped:
            lines.append(f"{v['name']}: all {v['events']:,} generated events are in the landing table exactly once.")
        else:
            line = f"{v['name']}: {v['landed']:,} of {v['events']:,} generated events landed, once each"
            if dropped:
                line += (f"; {dropped:,} were dropped with files an injected fault spoiled (Snowflake's rule: a pipe "
                         "does not load a file it cannot read, see Faults)")
            if in_flight:
                line += f"; {in_flight:,} had not landed when the drain ended (not lost: raise `drain`)"
            lines.append(line + ".")
    return lines


def faults(record: dict[str, Any]) -> list[Block]:
    """The injected faults' timeline, per variant: what struck when, and what became of it."""
    rows = [[v["name"], f"{entry['at'] / 60:.1f}", entry["kind"], entry["what"]]
            for v in record["variants"] for entry in v.get("faults", [])]
    if not rows:
        return []
    return [
        Heading("Faults"),
        Paragraph("Faults the scenario injected, and what became of each. Task runs they failed are in the "
                  "task history; the conservation lines above account for every event they touched."),
        Table(["variant", "minute", "fault", "what happened"], rows),
    ]


def problems(record: dict[str, Any]) -> list[str]:
    """What failed in the pipeline, by variant: task runs and refreshes that failed, events a traced layer never
    showed (also in the terminal summary: a run whose pipeline breaks must not look healthy)."""
    layers = record["scenario"]["snapshot"]["pipeline"]["layers"]
    lines = []
    for v in record["variants"]:
        for failure in v.get("failures", []):
            if failure.get("injected"):
                continue  # the scenario's own fault: in the Faults section, not a failure of the pipeline
            lines.append(f"{v['name']}: {failure['kind']} {failure['name']} failed {failure['count']:,} time(s); "
                         f"first error: {failure['first_error']}")
        for layer in layers:
            missed = v["not_visible"].get(layer, 0)
            if missed and layer not in v.get("untraced_layers", []):
                lines.append(f"{v['name']}: {missed:,} of {v['events']:,} events never became visible in {layer}")
    return lines


def _landing_note(variants: list[dict], landing: str) -> str:
    """Every variant's measured landing median beside what its documented delays alone imply."""
    pairs = [(v["name"], v["latency"].get(landing, {}).get("p50"), v.get("implied_landing", {}).get("p50"))
             for v in variants]
    shown = [f"{name} {measured:.1f} s vs {implied:.1f} s" for name, measured, implied in pairs
             if measured is not None and implied is not None]
    if not shown:
        return ""
    return (f"At landing, the measured median against what the documented delays alone imply: {'; '.join(shown)}. "
            "The difference is what the delay chain leaves out: queueing, in-order commits and load time by size.")


def latency_pair(summary: dict | None) -> str:
    """`p50 / p95` of a latency summary, or - when no event was visible."""
    if not summary or "p50" not in summary:
        return "-"
    return f"{summary['p50']:.1f} / {summary['p95']:.1f}"


def _quantiles(summary: dict) -> list[str]:
    return [f"{summary[k]:.1f}" if k in summary else "-" for k in ("p50", "p95", "p99", "max")]


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.4f}"


def markdown(items: list[Block], folder: Path) -> str:
    lines: list[str] = []
    for block in items:
        if isinstance(block, Heading):
            lines += ["#" * block.level + " " + block.text, ""]
        elif isinstance(block, Paragraph):
            lines += [block.text, ""]
        elif isinstance(block, Table):
            lines += ["| " + " | ".join(block.headers) + " |", "|" + "---|" * len(block.headers)]
            lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in block.rows]
            lines.append("")
        else:
            lines += [f"![{block.title}]({block.path.relative_to(folder).as_posix()})", ""]
    return "\n".join(lines)


def to_html(items: list[Block], title: str) -> str:
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;margin:1em 0;font-size:14px}th,td{border:1px solid #ccc;padding:4px 8px;"
        "text-align:left}th{background:#f3f3f3}td.n{text-align:right}"
        "img{max-width:100%;border:1px solid #eee;margin:0.5em 0}code{background:#f3f3f3;padding:0 3px}</style>",
        "</head><body>",
    ]
    for block in items:
        if isinstance(block, Heading):
            parts.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            text = html.escape(block.text)
            while "`" in text:
                text = text.replace("`", "<code>", 1).replace("`", "</code>", 1)
            parts.append(f"<p>{text}</p>")
        elif isinstance(block, Table):
            head = "".join(f"<th>{html.escape(h)}</th>" for h in block.headers)
            body = "".join("<tr>" + "".join(f"<td{' class=n' if _numeric(c) else ''}>{html.escape(c)}</td>"
                                            for c in row) + "</tr>" for row in block.rows)
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        else:
            data = base64.b64encode(block.path.read_bytes()).decode()
            parts.append(f"<figure><img alt='{html.escape(block.title)}' src='data:image/png;base64,{data}'>"
                         f"<figcaption>{html.escape(block.title)}</figcaption></figure>")
    parts.append("</body></html>")
    return "\n".join(parts)


_NUMBER = re.compile(r"[-+]?\$?[\d,]*\.?\d+(?: ?(?:%|x|s))?(?: / [-+]?[\d,]*\.?\d+)?|-")


def _numeric(cell: str) -> bool:
    """Figures right-aligned, text left."""
    return _NUMBER.fullmatch(cell.strip()) is not None


def write(record: dict[str, Any], charts: list[tuple[str, Path]], folder: Path) -> tuple[Path, Path]:
    items = blocks(record, charts)
    md = folder / "report.md"
    md.write_text(markdown(items, folder))
    page = folder / "report.html"
    page.write_text(to_html(items, f"snowsim: {record['scenario']['name']}"))
    return md, page
