"""Whole runs several tests read: made once per test session, even with the suite spread over workers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock


@pytest.fixture(scope="session")
def shared_run(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Callable[[str, Callable[[Path], None]],
                                                                                      Path]:
    """`shared_run(name, make)`: the folder `make(folder)` filled, made by the first worker to ask for it (the
    others wait for it, under a file lock, in the session's shared temporary folder)."""

    def run(name: str, make: Callable[[Path], None]) -> Path:
        if worker_id == "master":  # not under xdist: nothing to share
            folder = tmp_path_factory.mktemp(name)
            make(folder)
            return folder
        root = tmp_path_factory.getbasetemp().parent  # the workers' common parent, one per session
        folder = root / name
        with FileLock(str(root / f"{name}.lock")):
            if not (folder / ".done").exists():
                folder.mkdir(exist_ok=True)
                make(folder)
                (folder / ".done").touch()
        return folder

    return run
