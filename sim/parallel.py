"""Variants side by side: each in its own worker process, on its own backend connection and clock.

A variant's run is one Python thread feeding DuckDB small statements, so it keeps about one core
busy; on a machine with more cores, variants run at once and the whole run takes less wall time.
Variants share nothing (each seeds its own workload and ingestion model), so the figures are the
same as when they run one after another. Workers are spawned, not forked: DuckDB's threads do not
survive a fork.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.scenario import LoadedScenario

#: How often the parent wakes to pass on progress while it waits for workers (seconds).
POLL_SECONDS = 0.1

_progress_queue: Any = None  # a worker's end of the progress queue, set by _start_worker


def cores() -> int:
    """The CPU cores this process may use (the affinity mask where the OS has one)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


def run_variants(worker: Callable[..., Any], loaded: LoadedScenario, out_dir: Path,
                 progress: Callable[[str, float], None] | None, jobs: int, *, backend: str) -> list[Any]:
    """Run every variant with `worker` (`sim.run.run_variant`), `jobs` at a time, each in a worker process;
    results in the scenario's order.

    Each worker's backend takes an equal share of the machine (the emulator: of the cores and of DuckDB's
    memory limit; it compacts its tables as they near its share and spills beyond it: a simulated day of
    the booking pipeline, ~13 GB of tables, fits two workers on 24 GB). The first variant that fails
    stops the run: the other workers are terminated and the error is raised here. `worker` must be a
    module-level function (spawned workers receive it by reference).
    """
    context = multiprocessing.get_context("spawn")
    messages = context.Queue()
    count = len(loaded.scenario.variants)
    with context.Pool(jobs, initializer=_start_worker, initargs=(messages,)) as pool:  # exit terminates the workers
        pending = [
            pool.apply_async(_run_one, (worker, loaded, index, out_dir, backend, jobs)) for index in range(count)
        ]
        while not all(result.ready() for result in pending):
            _relay(messages, progress, timeout=POLL_SECONDS)
            for result in pending:
                if result.ready() and not result.successful():
                    result.get()  # raises the worker's error; leaving the block terminates the rest
        _relay(messages, progress, timeout=0)
        return [result.get() for result in pending]


def _relay(messages: Any, progress: Callable[[str, float], None] | None, *, timeout: float) -> None:
    """Pass on every progress message waiting in the queue (waiting up to `timeout` for the first)."""
    try:
        name, fraction = messages.get(timeout=timeout) if timeout else messages.get_nowait()
        while True:
            if progress:
                progress(name, fraction)
            name, fraction = messages.get_nowait()
    except queue.Empty:
        pass


def _start_worker(messages: Any) -> None:
    global _progress_queue
    _progress_queue = messages
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it terminates the workers


def _run_one(worker: Callable[..., Any], loaded: LoadedScenario, index: int, out_dir: Path, backend: str,
             workers: int) -> Any:
    return worker(loaded, index, out_dir, lambda name, fraction: _progress_queue.put((name, fraction)),
                  backend=backend, workers=workers)
