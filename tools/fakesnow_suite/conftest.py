"""fakesnow's fixtures rebuilt on `backends.duckdb.patch()`, and the selection of its behaviour tests.

Copied by `run.py` over fakesnow's own `tests/conftest.py`. A test is selected when it takes a fixture that
reaches the emulator and its body uses nothing imported from fakesnow (those test fakesnow's internals).
"""

from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import inspect
import sys
import textwrap
import types
from collections.abc import Iterator
from typing import Any, cast

import pytest
import snowflake.connector
import snowflake.connector.cursor

from backends import duckdb as local

EMULATOR_FIXTURES = {"conn", "cur", "dcur", "snowflake_engine", "_fakesnow", "_fakesnow_no_auto_create"}
#: Fixtures for fakesnow's own server mode or an S3 mock: not part of the behaviour suite.
OTHER_FIXTURES = {"server", "sconn", "scur", "sdcur", "s3_client", "moto_session", "_server_conn_kwargs"}


class _Anything:
    """Whatever a test module does with a fakesnow name at import time (decorate, call, read) succeeds."""

    def __getattr__(self, name: str) -> _Anything:
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return args[0] if len(args) == 1 and callable(args[0]) and not kwargs else self


class _Stub(types.ModuleType):
    """Stands in for a fakesnow module so its test files import; the tests that use it are deselected."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything()


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname == "fakesnow" or fullname.startswith("fakesnow."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = _Stub(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        pass


sys.meta_path.insert(0, _StubFinder())
collect_ignore = ["test_server.py", "test_patch.py", "test_cli.py", "fixtures"]


def _fakesnow_names(module: types.ModuleType) -> set[str]:
    tree = ast.parse(inspect.getsource(module))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("fakesnow"):
            names |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name.startswith("fakesnow")}
    return names


def selected(item: pytest.Function) -> bool:
    """Whether a collected test is one of the behaviour suite's."""
    fixtures = set(item.fixturenames)
    if not fixtures & EMULATOR_FIXTURES or fixtures & OTHER_FIXTURES:
        return False
    body = ast.parse(textwrap.dedent(inspect.getsource(item.function)))
    used = {node.id for node in ast.walk(body) if isinstance(node, ast.Name)}
    return not used & _fakesnow_names(item.module)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep = [item for item in items if isinstance(item, pytest.Function) and selected(item)]
    dropped = [item for item in items if item not in keep]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = keep


#: fakesnow has no clock and reports every object as created at the epoch; its tests compare `created_on`
#: with that, so the emulated account's virtual clock starts there (nothing advances it in these tests).
EPOCH = "1970-01-01T00:00:00Z"


@pytest.fixture
def _fakesnow() -> Iterator[None]:
    with local.patch(start=EPOCH):
        yield


@pytest.fixture
def _fakesnow_no_auto_create() -> Iterator[None]:
    with local.patch(create_database_on_connect=False, start=EPOCH):
        yield


@pytest.fixture
def conn(_fakesnow: None) -> Iterator[snowflake.connector.SnowflakeConnection]:
    with snowflake.connector.connect(database="db1", schema="schema1") as c:
        yield c


@pytest.fixture
def cur(conn: snowflake.connector.SnowflakeConnection) -> Iterator[snowflake.connector.cursor.SnowflakeCursor]:
    with conn.cursor() as c:
        yield c


@pytest.fixture
def dcur(conn: snowflake.connector.SnowflakeConnection) -> Iterator[snowflake.connector.cursor.DictCursor]:
    with conn.cursor(snowflake.connector.cursor.DictCursor) as c:
        yield cast(snowflake.connector.cursor.DictCursor, c)


@pytest.fixture
def snowflake_engine(_fakesnow: None) -> Any:
    from sqlalchemy.engine import create_engine

    return create_engine("snowflake://user:password@account/db1/schema1")
