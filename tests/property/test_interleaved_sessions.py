"""Property: with sessions interleaving transactions, a consumed stream delivers every committed row once.

Three writer sessions insert rows, each in autocommit or inside transactions they commit or roll back in
any order; two consumer sessions move the stream's rows into a sink, in autocommit or inside transactions
of their own that they commit or roll back. The oracle is the set of ids whose insert committed: once
everything is committed and the stream consumed a last time, the sink holds each of them exactly once.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from backends import duckdb as local

WRITERS = st.integers(min_value=0, max_value=2)
CONSUMERS = st.integers(min_value=0, max_value=1)


class InterleavedSessions(RuleBasedStateMachine):
    @initialize()
    def setup(self) -> None:
        self.emulator = local.Emulator()
        setup = self.emulator.connect()
        setup.execute_string("CREATE TABLE src (id INT); CREATE STREAM s ON TABLE src; CREATE TABLE sink (id INT)")
        self.writers = [self.emulator.connect() for _ in range(3)]
        self.consumers = [self.emulator.connect() for _ in range(2)]
        self.open: dict[int, list[int]] = {}  # writer -> ids inserted in its open transaction
        self.consuming: set[int] = set()  # consumers with an open transaction
        self.committed: set[int] = set()
        self.next_id = 1

    @rule(writer=WRITERS)
    def insert(self, writer: int) -> None:
        row = self.next_id
        self.next_id += 1
        self.writers[writer].cursor().execute(f"INSERT INTO src VALUES ({row})")
        if writer in self.open:
            self.open[writer].append(row)
        else:
            self.committed.add(row)

    @rule(writer=WRITERS)
    def begin(self, writer: int) -> None:
        if writer not in self.open:
            self.writers[writer].cursor().execute("BEGIN")
            self.open[writer] = []

    @rule(writer=WRITERS, commit=st.booleans())
    def end(self, writer: int, commit: bool) -> None:
        if writer in self.open:
            self.writers[writer].cursor().execute("COMMIT" if commit else "ROLLBACK")
            rows = self.open.pop(writer)
            if commit:
                self.committed.update(rows)

    @rule(consumer=CONSUMERS, in_transaction=st.booleans())
    def consume(self, consumer: int, in_transaction: bool) -> None:
        cursor = self.consumers[consumer].cursor()
        if in_transaction and consumer not in self.consuming:
            cursor.execute("BEGIN")
            self.consuming.add(consumer)
        cursor.execute("INSERT INTO sink SELECT id FROM s")

    @rule(consumer=CONSUMERS, commit=st.booleans())
    def end_consumption(self, consumer: int, commit: bool) -> None:
        if consumer in self.consuming:
            self.consumers[consumer].cursor().execute("COMMIT" if commit else "ROLLBACK")
            self.consuming.discard(consumer)

    @invariant()
    def nothing_committed_is_lost_or_doubled(self) -> None:
        if self.open or self.consuming:
            return  # only checked when every session is between transactions
        cursor = self.consumers[0].cursor()
        cursor.execute("INSERT INTO sink SELECT id FROM s")
        sink = [row[0] for row in cursor.execute("SELECT id FROM sink").fetchall()]
        assert sorted(sink) == sorted(self.committed), "lost or duplicated rows"


InterleavedSessions.TestCase.settings = settings(
    max_examples=40, stateful_step_count=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_interleaved_sessions_deliver_every_committed_row_once = InterleavedSessions.TestCase
