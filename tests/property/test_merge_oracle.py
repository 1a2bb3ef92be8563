"""Property: a MERGE into a tracked table does what DuckDB's own MERGE does to an untracked one.

A tracked table's MERGE runs as the emulator's own steps (pair source rows with target rows by
rowid and WHEN clause, then delete, re-insert and insert; compile/dml.py _tracked_merge_steps), an
untracked table's through DuckDB's MERGE. The same random rows and the same MERGE, drawn from
clause lists with conditions on the source and the target, NULL keys and repeated source keys,
must leave both tables with the same rows and report the same counts, or fail alike (Snowflake's
nondeterministic-merge error); and the tracked table's stream must hold exactly the difference.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from backends import duckdb as local
from backends.errors import Error

KEYS = st.one_of(st.integers(min_value=0, max_value=3), st.none())
ROWS = st.lists(st.tuples(KEYS, st.integers(min_value=0, max_value=3)), max_size=6)
CLAUSES = [
    "WHEN MATCHED AND s.v = 0 THEN DELETE",
    "WHEN MATCHED AND t.v > s.v THEN UPDATE SET v = t.v - s.v, note = 'down'",
    "WHEN MATCHED THEN UPDATE SET v = s.v * 10",
    "WHEN MATCHED AND t.note IS NULL THEN DELETE",
    "WHEN NOT MATCHED AND s.v > 1 THEN INSERT (k, v, note) VALUES (s.k, s.v, 'new')",
    "WHEN NOT MATCHED THEN INSERT (k, v) VALUES (s.k, s.v + 100)",
]


def _values(rows: list[tuple]) -> str:
    return ", ".join(f"({'NULL' if k is None else k}, {v})" for k, v in rows)


def _last_of_their_kind(clauses: list[str]) -> bool:
    """Each clause without AND is the last MATCHED (or NOT MATCHED) one: anything else is refused by name."""
    for i, clause in enumerate(clauses):
        matched = clause.startswith("WHEN MATCHED")
        if " AND " not in clause and any(later.startswith("WHEN MATCHED") == matched for later in clauses[i + 1:]):
            return False
    return True


@pytest.fixture(scope="module")
def cur():
    conn = local.connect()
    yield conn.cursor()
    conn.close()


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(target=ROWS, source=ROWS, clauses=st.lists(st.sampled_from(CLAUSES), min_size=1, max_size=4, unique=True))
def test_tracked_merge_equals_duckdbs_merge(cur, target, source, clauses) -> None:
    assume(_last_of_their_kind(clauses))
    outcomes = []
    for name in ("plain", "tracked"):
        cur.execute(f"CREATE OR REPLACE TABLE {name} (k INT, v INT, note STRING)")
        if target:
            cur.execute(f"INSERT INTO {name} (k, v) VALUES {_values(target)}")
        if name == "tracked":
            cur.execute("CREATE OR REPLACE STREAM changes ON TABLE tracked")
        using = (
            f"(SELECT column1 AS k, column2 AS v FROM VALUES {_values(source)})"
            if source
            else "(SELECT 1 AS k, 1 AS v WHERE FALSE)"
        )
        try:
            counts = cur.execute(f"MERGE INTO {name} t USING {using} s ON t.k = s.k {' '.join(clauses)}").fetchall()
        except Error as error:
            counts = [type(error).__name__, str(error).split(":")[0]]
        outcomes.append((counts, Counter(cur.execute(f"SELECT k, v, note FROM {name}").fetchall())))
    assert outcomes[0] == outcomes[1]
    after = outcomes[1][1]
    before = Counter((k, v, None) for k, v in target)
    changes = cur.execute("SELECT k, v, note, METADATA$ACTION FROM changes").fetchall()
    assert Counter(r[:3] for r in changes if r[3] == "INSERT") == after - before
    assert Counter(r[:3] for r in changes if r[3] == "DELETE") == before - after
