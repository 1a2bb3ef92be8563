"""One direction of dependency: the import graph of `backends/` and `sim/`, read from the source.

Every import counts: at module level, inside functions and under `if TYPE_CHECKING:`. The graph has
no cycle; inside `backends/duckdb/` a module imports its own layer or a lower one, an object module
never imports another object kind, and only the pytest plugin imports inside a function; `backends/`
never imports `sim/`, and `sim/` reaches the emulator only through the backend registry.
"""

from __future__ import annotations

import ast
import graphlib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("backends", "sim")
EMULATOR = "backends.duckdb"
#: Low to high; `backends.duckdb`'s own modules (connect, connection, pytest plugin) sit above them all.
LAYERS = ("sql", "catalog", "maintenance", "compile", "metadata", "objects", "session")
#: Function-local imports allowed: the plugin stays light until a fixture is used, and patch() loads the
#: connector's drop-in module (the connector is an optional dependency) only when it is called.
LOCAL_IMPORTS_ALLOWED = {"backends.duckdb.pytest_plugin", "backends.duckdb"}
#: Where the harness asks for a backend by name.
REGISTRY = "backends.registry"


@dataclass(frozen=True)
class Import:
    importer: str
    target: str
    line: int
    local: bool  # inside a function


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def read_sources() -> dict[str, tuple[str, str]]:
    """{module: (path relative to the root, source)} for every module of the packages."""
    return {
        module_name(path): (str(path.relative_to(ROOT)), path.read_text())
        for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
    }


def imports(modules: dict[str, tuple[str, str]]) -> list[Import]:
    """Every import of one of `modules` by another; `from package import module` names the module."""
    found = []
    for importer, (path, source) in modules.items():
        package = importer if path.endswith("__init__.py") else importer.rpartition(".")[0]
        for node, local in _walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != importer:
                    found.append(Import(importer, target, node.lineno, local))
    return list(dict.fromkeys(found))  # `from m import a, b` is one import of m


def _walk(tree: ast.AST, local: bool = False):
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, local
        yield from _walk(node, local or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))


def layer(module: str) -> int | None:
    """The emulator layer of `module` (len(LAYERS) for the package's own modules), None outside it."""
    if module != EMULATOR and not module.startswith(EMULATOR + "."):
        return None
    parts = module.split(".")[2:]
    return LAYERS.index(parts[0]) if parts and parts[0] in LAYERS else len(LAYERS)


def layer_name(index: int) -> str:
    return LAYERS[index] if index < len(LAYERS) else "root"


def object_kind(module: str) -> str | None:
    parts = module.split(".")
    return parts[3] if len(parts) > 3 and parts[:3] == ["backends", "duckdb", "objects"] else None


def violations(modules: dict[str, tuple[str, str]]) -> list[str]:
    """What breaks the rules, each naming the file, the line and both ends."""
    problems = []
    edges = imports(modules)
    for edge in edges:
        where = f"{modules[edge.importer][0]}:{edge.line}: {edge.importer} -> {edge.target}"
        low, high = layer(edge.target), layer(edge.importer)
        if edge.importer.startswith("backends") and edge.target.startswith("sim"):
            problems.append(f"{where}: backends/ imports the harness")
        if edge.importer.startswith("sim") and edge.target.startswith(EMULATOR):
            problems.append(f"{where}: the harness imports the emulator; ask {REGISTRY} for a backend")
        if low is not None and high is not None and low > high:
            problems.append(f"{where}: upward, layer {layer_name(high)} imports layer {layer_name(low)}")
        kinds = object_kind(edge.importer), object_kind(edge.target)
        if None not in kinds and kinds[0] != kinds[1]:
            problems.append(f"{where}: object module imports another object kind ({kinds[0]} -> {kinds[1]})")
        if edge.local and low is not None and high is not None and edge.importer not in LOCAL_IMPORTS_ALLOWED:
            problems.append(f"{where}: import inside a function")
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for edge in edges:
        graph[edge.importer].add(edge.target)
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:  # graphlib lists each module before the modules that import it
        problems.append("import cycle (each imports the next): " + " -> ".join(reversed(error.args[1])))
    return problems


def test_the_import_graph_keeps_one_direction() -> None:
    problems = violations(read_sources())
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("module", "planted", "expected"), [
    ("backends.duckdb.sql.names", "from backends.duckdb.session.session import Session\n",
     "upward, layer sql imports layer session"),
    ("backends.duckdb.catalog.objects",
     "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from backends.duckdb.objects.tasks import scheduler\n",
     "upward, layer catalog imports layer objects"),
    ("backends.duckdb.objects.pipes", "from backends.duckdb.objects.tasks import scheduler\n",
     "object module imports another object kind (pipes -> tasks)"),
    ("backends.duckdb.objects.pipes", "def f():\n    from backends.duckdb.sql import names\n",
     "import inside a function"),
    ("backends.duckdb.catalog.objects", "from sim import run\n", "backends/ imports the harness"),
    ("sim.metrics", "from backends.duckdb.catalog import tracking\n", "the harness imports the emulator"),
])
def test_the_scan_would_catch_a_planted_import(module: str, planted: str, expected: str) -> None:
    modules = read_sources()
    path, source = modules[module]
    modules[module] = (path, source + planted)
    assert any(expected in problem for problem in violations(modules))


def test_the_scan_would_catch_a_cycle_through_a_type_hint() -> None:
    modules = {
        "backends.duckdb.sql.a": ("a.py", "from backends.duckdb.sql import b\n"),
        "backends.duckdb.sql.b": ("b.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                          "    from backends.duckdb.sql.a import A\n"),
    }
    (problem,) = violations(modules)
    assert problem.startswith("import cycle (each imports the next): ")
    assert set(problem.split(": ", 1)[1].split(" -> ")) == {"backends.duckdb.sql.a", "backends.duckdb.sql.b"}
