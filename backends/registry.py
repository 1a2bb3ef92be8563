"""The backends a pipeline can run on, by name: the harness asks here and never imports one itself.

A backend is a package whose module implements `backends.base.BackendModule` (`connect`,
`connect_for_run`): `duckdb`, the embedded emulator, today; `snowflake`, the live backend, when it
exists. Packages are imported when first asked for, so a backend's own dependencies are needed only by
runs that use it.
"""

from __future__ import annotations

import difflib
import importlib
from typing import cast

from backends.base import BackendModule

#: Backend name -> the package that implements it.
BACKENDS = {"duckdb": "backends.duckdb"}
DEFAULT = "duckdb"


def backend(name: str = DEFAULT) -> BackendModule:
    """The backend called `name`; an unknown name is a ValueError that lists the known ones."""
    package = BACKENDS.get(name)
    if package is None:
        close = difflib.get_close_matches(name, BACKENDS, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ValueError(f"Unknown backend '{name}'.{hint} Known backends: {', '.join(sorted(BACKENDS))}.")
    return cast(BackendModule, importlib.import_module(package))
