"""Property: after any sequence of DML and consumptions, a stream returns exactly the net change.

The oracle keeps the table as a dict key -> values. Keys are never reused, so a key is a row's
identity (as ROW_ID is in Snowflake). A standard stream must equal the diff between the table at
the last consumption and now; an append-only stream must equal every row inserted since, as
inserted. Transactions commit or roll back at random, and consumption happens at random points.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from backends import duckdb as local

VALUES = st.integers(min_value=0, max_value=3)
TEXT = st.sampled_from(["a", "b", None])


class StreamMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self) -> None:
        self.conn = local.connect()
        self.cur = self.conn.cursor()
        self.cur.execute("CREATE TABLE t (k INT, v INT, s STRING)")
        self.cur.execute("INSERT INTO t VALUES (0, 0, 'seed')")
        self.cur.execute("CREATE STREAM std ON TABLE t")
        self.cur.execute("CREATE STREAM app ON TABLE t APPEND_ONLY = TRUE")
        self.cur.execute("CREATE TABLE sink (k INT)")
        self.table = {0: (0, "seed")}  # committed state
        self.offset_state = dict(self.table)  # table at the standard stream's offset
        self.inserted_since: dict[int, tuple] = {}  # append-only stream's pending rows
        self.next_key = 1
        self.in_transaction = False
        self.txn_table: dict[int, tuple] | None = None
        self.txn_inserted: dict[int, tuple] | None = None
        self.txn_consumed = False

    # --- the state the statements act on -------------------------------------------------------

    @property
    def current(self) -> dict[int, tuple]:
        return self.txn_table if self.in_transaction else self.table

    def _inserted(self) -> dict[int, tuple]:
        return self.txn_inserted if self.in_transaction else self.inserted_since

    def _keys(self, data) -> list[int]:
        keys = sorted(self.current)
        return [k for i, k in enumerate(keys) if data.draw(st.booleans(), label=f"pick {k}")] if keys else []

    # --- DML -----------------------------------------------------------------------------------

    @rule(rows=st.lists(st.tuples(VALUES, TEXT), min_size=1, max_size=3))
    def insert(self, rows) -> None:
        values = []
        for v, s in rows:
            key = self.next_key
            self.next_key += 1
            self.current[key] = (v, s)
            self._inserted()[key] = (v, s)
            values.append((key, v, s))
        self.cur.executemany("INSERT INTO t VALUES (%s, %s, %s)", values)

    @rule(data=st.data(), v=VALUES)
    def update(self, data, v) -> None:
        keys = self._keys(data)
        if keys:
            self.cur.execute("UPDATE t SET v = %s WHERE k IN %s", (v, tuple(keys)))
            for k in keys:
                self.current[k] = (v, self.current[k][1])

    @rule(data=st.data())
    def delete(self, data) -> None:
        keys = self._keys(data)
        if keys:
            self.cur.execute("DELETE FROM t WHERE k IN %s", (tuple(keys),))
            for k in keys:
                del self.current[k]

    @rule(data=st.data(), v=VALUES, new=st.integers(min_value=0, max_value=2))
    def merge(self, data, v, new) -> None:
        keys = self._keys(data)
        deleted = [k for k in keys if data.draw(st.booleans(), label=f"delete {k}")]
        fresh = list(range(self.next_key, self.next_key + new))
        self.next_key += new
        source = [(k, v, "del" if k in deleted else "upd") for k in keys] + [(k, v, "ins") for k in fresh]
        if not source:
            return
        rows = " UNION ALL ".join(f"SELECT {k} AS k, {val} AS v, '{op}' AS op" for k, val, op in source)
        self.cur.execute(
            f"MERGE INTO t USING ({rows}) src ON t.k = src.k "
            "WHEN MATCHED AND src.op = 'del' THEN DELETE WHEN MATCHED THEN UPDATE SET v = src.v "
            "WHEN NOT MATCHED THEN INSERT (k, v, s) VALUES (src.k, src.v, 'm')"
        )
        for k in keys:
            if k in deleted:
                del self.current[k]
            else:
                self.current[k] = (v, self.current[k][1])
        for k in fresh:
            self.current[k] = (v, "m")
            self._inserted()[k] = (v, "m")

    @precondition(lambda self: not self.in_transaction)
    @rule()
    def truncate(self) -> None:
        self.cur.execute("TRUNCATE TABLE t")
        self.table.clear()

    # --- consumption and transactions --------------------------------------------------------------

    @rule()
    def consume(self) -> None:
        self.cur.execute("INSERT INTO sink SELECT k FROM std WHERE 1 = 0")
        self.cur.execute("INSERT INTO sink SELECT k FROM app WHERE 1 = 0")
        if self.in_transaction:
            self.txn_consumed = True
        else:
            self.offset_state = dict(self.table)
            self.inserted_since = {}

    @precondition(lambda self: not self.in_transaction)
    @rule()
    def begin(self) -> None:
        self.cur.execute("BEGIN")
        self.in_transaction = True
        self.txn_table = dict(self.table)
        self.txn_inserted = {}
        self.txn_consumed = False
        self.txn_start = dict(self.table)

    @precondition(lambda self: self.in_transaction)
    @rule(commit=st.booleans())
    def end(self, commit) -> None:
        self.cur.execute("COMMIT" if commit else "ROLLBACK")
        self.in_transaction = False
        if not commit:
            return
        if self.txn_consumed:
            # The offset moves to the transaction's start: its own changes stay pending.
            self.offset_state = dict(self.txn_start)
            self.inserted_since = {}
        self.table = self.txn_table
        self.inserted_since.update(self.txn_inserted)

    # --- the property ---------------------------------------------------------------------------

    def expected_standard(self) -> set[tuple]:
        # Inside a transaction the stream shows committed changes only, up to the transaction start.
        now = self.txn_start if self.in_transaction else self.table
        then = self.offset_state
        rows = set()
        for k in then.keys() | now.keys():
            before, after = then.get(k), now.get(k)
            if before == after:
                continue
            update = before is not None and after is not None
            if before is not None:
                rows.add((k, *before, "DELETE", update))
            if after is not None:
                rows.add((k, *after, "INSERT", update))
        return rows

    @invariant()
    def standard_stream_is_the_net_change(self) -> None:
        if not hasattr(self, "cur"):
            return
        got = self.cur.execute("SELECT k, v, s, METADATA$ACTION, METADATA$ISUPDATE FROM std").fetchall()
        assert sorted(got, key=repr) == sorted(self.expected_standard(), key=repr)
        pairs = self.cur.execute(
            "SELECT k, COUNT(DISTINCT METADATA$ROW_ID) FROM std GROUP BY k HAVING COUNT(*) > 1"
        ).fetchall()
        assert all(ids == 1 for _, ids in pairs), "both rows of an update share one ROW_ID"

    @invariant()
    def append_only_stream_has_every_insert_as_inserted(self) -> None:
        if not hasattr(self, "cur"):
            return
        got = self.cur.execute("SELECT k, v, s FROM app").fetchall()
        assert sorted(got, key=repr) == sorted(((k, *v) for k, v in self.inserted_since.items()), key=repr)

    def teardown(self) -> None:
        if hasattr(self, "conn"):
            self.conn.close()


StreamMachine.TestCase.settings = settings(
    max_examples=25, stateful_step_count=20, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_stream_matches_the_oracle = StreamMachine.TestCase
