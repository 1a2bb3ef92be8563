"""Every `file.py` the README, docs/ and the code's docstrings and comments name is a file that exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MENTION = re.compile(r"(?<![\w./-])((?:[\w-]+/)*[\w-]+\.py)\b")
#: Where a path with a folder in it may be relative to (besides the repository and the mentioning file).
BASES = [ROOT, ROOT / "backends", ROOT / "backends" / "duckdb", ROOT / "sim"]
#: Files the README asks the user to create.
USERS_FILES = {"test_pipeline.py"}
SOURCES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))] + [
    path for folder in ("backends", "sim", "benchmarks") for path in sorted((ROOT / folder).rglob("*.py"))
]
EVERY_FILE = {path.name for path in ROOT.rglob("*.py") if ".venv" not in path.parts}


def dangling(text: str, where: Path) -> list[str]:
    """The mentions in `text` that name no file: a bare name must exist somewhere, a path from a base."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for mention in MENTION.findall(line):
            if mention in USERS_FILES:
                continue
            if "/" not in mention and mention in EVERY_FILE:
                continue
            if any((base / mention).is_file() for base in [*BASES, where.parent]):
                continue
            found.append(f"{where.relative_to(ROOT)}:{number}: {mention}")
    return found


def test_every_file_named_exists() -> None:
    problems = [problem for path in SOURCES for problem in dangling(path.read_text(), path)]
    assert not problems, "\n".join(problems)


def test_the_check_would_catch_a_moved_file() -> None:
    where = ROOT / "docs" / "emulator.md"
    assert dangling("the translations (translate.py, compaction.py)", where) == []
    assert dangling("the old home of streams, backends/duckdb/streams.py, and ddl.py", where) == [
        "docs/emulator.md:1: backends/duckdb/streams.py", "docs/emulator.md:1: ddl.py"]
