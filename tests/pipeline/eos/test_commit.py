"""A transactional commit tells Faust's livelock check that its partitions committed,
and applies the table writes its round published; the check runs at its own
cadence, not the commit interval's."""
from __future__ import annotations

from time import monotonic
from types import SimpleNamespace

from faust.types import TP

from pipeline.eos.transport import LIVELOCK_CHECK_INTERVAL, Consumer

ORDERS = TP("orderflow-orders", 0)
COMMANDS = TP("orderflow-stock-commands", 0)
FENCED = TP("orderflow-order-events", 0)


class Transactions:
    """Commits every transaction but the fenced one's."""

    async def commit_each(self, offsets, start_new_transaction=True):
        return {tp: offset for tp, offset in offsets.items() if tp != FENCED}


def consumer(published=None) -> SimpleNamespace:
    """The state ``Consumer._commit_offsets`` reads and writes; ``applied`` records
    the offsets and the published changelogs it hands the tables."""
    applied: list = []
    return SimpleNamespace(
        assignment=lambda: {ORDERS, COMMANDS, FENCED},
        transactions=Transactions(),
        _published=published,
        app=SimpleNamespace(tables=SimpleNamespace(on_commit=lambda *args: applied.append(args)),
                            monitor=SimpleNamespace(on_tp_commit=lambda offsets: None)),
        applied=applied,
        _committed_offset={},
        _thread=SimpleNamespace(tp_last_committed_at={}),
    )


async def test_partitions_committed_in_a_transaction_are_recorded_as_committed_now() -> None:
    state = consumer()
    before = monotonic()
    assert await Consumer._commit_offsets(state, {ORDERS: 5, COMMANDS: 9, FENCED: 2})
    committed_at = state._thread.tp_last_committed_at
    assert set(committed_at) == {ORDERS, COMMANDS}
    assert all(before <= at <= monotonic() for at in committed_at.values())
    assert state._committed_offset == {ORDERS: 5, COMMANDS: 9}
    assert state.applied == [({ORDERS: 5, COMMANDS: 9}, None)]


async def test_the_tables_apply_the_changelogs_published_for_exactly_the_committed_offsets() -> None:
    changelogs = [("inventory", {(0, b"sku"): (1, COMMANDS, b"3")})]
    state = consumer(published=({ORDERS: 5, COMMANDS: 9}, changelogs))
    assert await Consumer._commit_offsets(state, {ORDERS: 5, COMMANDS: 9})
    assert state.applied == [({ORDERS: 5, COMMANDS: 9}, changelogs)]
    assert state._published is None


async def test_after_a_partial_commit_the_tables_find_their_writes_themselves() -> None:
    # The fenced transaction's writes were published too, but must not be applied.
    changelogs = [("inventory", {(0, b"sku"): (1, FENCED, b"3")})]
    state = consumer(published=({ORDERS: 5, FENCED: 2}, changelogs))
    assert await Consumer._commit_offsets(state, {ORDERS: 5, FENCED: 2})
    assert state.applied == [({ORDERS: 5}, None)]


async def test_nothing_is_recorded_when_no_transaction_committed() -> None:
    state = consumer()
    assert not await Consumer._commit_offsets(state, {FENCED: 2})
    assert state._thread.tp_last_committed_at == {}


async def test_the_livelock_check_runs_at_its_own_cadence_whatever_the_commit_interval() -> None:
    waits: list = []
    checks: list = []

    async def sleep(seconds):
        waits.append(seconds)

    async def itertimer(interval, name):
        for _ in range(3):
            waits.append(interval)
            yield interval

    async def verify_all_partitions_active():
        checks.append(True)

    state = SimpleNamespace(commit_interval=0.02, sleep=sleep, itertimer=itertimer,
                            app=SimpleNamespace(rebalancing=False),
                            verify_all_partitions_active=verify_all_partitions_active)
    await Consumer._commit_livelock_detector.fun(state)
    assert waits == [LIVELOCK_CHECK_INTERVAL] * 4 and len(checks) == 3
