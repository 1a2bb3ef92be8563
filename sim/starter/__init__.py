"""`python -m sim init DIR`: a working starter pipeline to make one's own (the files beside this module).

A landing table with its stage and pipe, a stream, a MERGE task and a dynamic table; a scenario with
a custom workload and one Snowpipe and one Streaming variant; a pytest file for the pipeline's SQL.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

#: The starter's files, relative to the folder they are written to.
FILES = ("scenario.yaml", "pipeline/landing.sql", "pipeline/pipeline.sql", "test_pipeline.py", "pytest.ini")
HERE = Path(__file__).parent


def scenario_name(folder: Path) -> str:
    """The folder's name as a scenario name (it names run folders): other characters become '_'."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", folder.resolve().name).lstrip("_.-")
    return name or "my_pipeline"


def existing(folder: Path) -> list[Path]:
    """The starter's files already in `folder` (init writes none of them over)."""
    return [folder / name for name in FILES if (folder / name).exists()]


def write(folder: Path) -> list[Path]:
    """Write the starter into `folder` (created if missing); the paths written."""
    written = []
    for name in FILES:
        text = (HERE / name).read_text(encoding="utf-8")
        if name == "scenario.yaml":
            text = Template(text).substitute(name=scenario_name(folder))
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written
