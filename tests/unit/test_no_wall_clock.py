"""Nothing in the harness or the emulator reads the wall clock or sleeps: time is the virtual clock's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = re.compile(
    r"\btime\.(time|sleep|monotonic|perf_counter|time_ns)\s*\(|\bdatetime\.(now|utcnow|today)\s*\(|\bdate\.today\s*\(|"
    r"\basyncio\.sleep\s*\("
)
FOLDERS = [ROOT / "sim", ROOT / "backends"]
#: The one module that reads wall time, to name a run's folder and report how long it took; never for simulation.
EXEMPT = {ROOT / "sim" / "wallclock.py"}
SOURCES = [p for folder in FOLDERS for p in sorted(folder.rglob("*.py")) if p not in EXEMPT]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_source_does_not_read_the_wall_clock(path: Path) -> None:
    offending = [
        f"{path.name}:{number}: {line.strip()}"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if FORBIDDEN.search(line)
    ]
    assert not offending, "wall-clock access:\n" + "\n".join(offending)


def test_the_scan_would_catch_a_wall_clock_call() -> None:
    assert FORBIDDEN.search("started = time.time()")
    assert FORBIDDEN.search("now = datetime.now(tz=UTC)")
    assert not FORBIDDEN.search("now = clock.now()")

