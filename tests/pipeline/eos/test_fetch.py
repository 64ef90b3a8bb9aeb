"""What the consumer hands to the streams after a seek, the committed offsets a seek leaves, and what a commit takes."""
from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from typing import Optional

from faust.types import TP
from intervaltree import IntervalTree

from pipeline.eos.transport import Consumer

ORDERS = TP("orders", 4)
CHANGELOG = TP("orderflow-stock-changelog", 4)


def consumer(committed: dict | None = None) -> SimpleNamespace:
    """The state ``Consumer._admit`` and ``Consumer.perform_seek`` read and write."""
    state = SimpleNamespace(
        app=SimpleNamespace(topics=SimpleNamespace(acks_enabled_for=lambda topic: topic == ORDERS.topic)),
        _delivered={},
        _arrived_at={},
        _committed_offset=dict(committed or {}),
        _read_offset=defaultdict(lambda: None),
        _gap=defaultdict(IntervalTree),
    )
    state.admit = lambda tp, offset, generation=2: Consumer._admit(
        state, tp, SimpleNamespace(offset=offset, generation_id=generation))
    return state


def test_a_stream_partition_s_records_fetched_again_in_one_generation_are_not_handed_over_twice() -> None:
    state = consumer({ORDERS: 762})
    assert [state.admit(ORDERS, offset) for offset in range(762, 766)] == [True] * 4
    # The recovery's seek to the committed offset (762) re-fetches them.
    assert [state.admit(ORDERS, offset) for offset in range(762, 768)] == [False] * 4 + [True] * 2
    assert not state._gap[ORDERS]


def test_a_new_generation_reads_from_the_committed_offset_again() -> None:
    state = consumer({ORDERS: 762})
    assert state.admit(ORDERS, 900, generation=1)
    state._read_offset[ORDERS] = 900
    assert state.admit(ORDERS, 762, generation=2)
    assert state._read_offset[ORDERS] is None  # the fetch loop does not drop it as read before


def test_a_changelog_sought_back_is_read_again() -> None:
    state = consumer()
    assert state.admit(CHANGELOG, 10) and state.admit(CHANGELOG, 11)
    assert state.admit(CHANGELOG, 5)
    assert state._delivered[CHANGELOG] == (2, 5)


def test_offsets_skipped_between_messages_of_a_generation_are_a_gap() -> None:
    state = consumer({ORDERS: 760})
    assert state.admit(ORDERS, 762)  # 760-761: a transaction marker, an aborted record
    assert state.admit(ORDERS, 765)
    assert sorted((i.begin, i.end) for i in state._gap[ORDERS]) == [(760, 762), (763, 765)]


async def test_a_seek_never_moves_a_committed_offset_back() -> None:
    state = consumer({ORDERS: 851})
    other = TP("orders", 5)

    async def seek_to_committed():
        # Read 851 for ORDERS; meanwhile a commit of this worker recorded 991.
        state._committed_offset[ORDERS] = 991
        return {ORDERS: 851, other: 3335, CHANGELOG: None}

    state.seek_to_committed = seek_to_committed
    await Consumer.perform_seek(state)
    assert state._committed_offset == {ORDERS: 991, other: 3335}
    assert dict(state._read_offset) == {ORDERS: 851, other: 3335, CHANGELOG: None}


def seeking(state: SimpleNamespace, committed: dict, first: dict) -> list:
    """Give ``state`` the broker's committed and first offsets; returns the seeks made."""
    seeks = []

    async def seek_to_committed():
        return dict(committed)

    async def earliest_offsets(*partitions):
        return {tp: first[tp] for tp in partitions}

    async def seek(tp, offset):
        seeks.append((tp, offset))

    state.seek_to_committed, state.earliest_offsets, state.seek = seek_to_committed, earliest_offsets, seek
    return seeks


async def test_a_stream_partition_without_a_committed_offset_is_sought_to_its_first_offset() -> None:
    # Records 0-4 were fetched and dropped (flow suspended); aiokafka's seek
    # to the committed offsets leaves a partition that has none where it is.
    state = consumer()
    other = TP("orders", 5)
    seeks = seeking(state, {ORDERS: None, other: 0, CHANGELOG: None}, {ORDERS: 0, other: 0, CHANGELOG: 0})
    await Consumer.perform_seek(state)
    assert sorted(seeks) == [(ORDERS, 0), (other, 0)]
    assert state._committed_offset == {ORDERS: 0, other: 0}


async def test_a_partition_without_a_committed_offset_is_sought_to_the_offset_this_worker_committed() -> None:
    state = consumer({ORDERS: 274})  # committed by this worker after the broker was asked
    seeks = seeking(state, {ORDERS: None}, {ORDERS: 0})
    await Consumer.perform_seek(state)
    assert seeks == [(ORDERS, 274)] and state._committed_offset == {ORDERS: 274}


def committing(committed: Optional[int], acked: list[int]) -> SimpleNamespace:
    """The state ``Consumer._new_offset`` reads and writes, for ``ORDERS``."""
    return SimpleNamespace(
        _acked=defaultdict(list, {ORDERS: list(acked)}),
        _acked_index=defaultdict(set, {ORDERS: set(acked)}),
        _gap=defaultdict(IntervalTree),
        _committed_offset={} if committed is None else {ORDERS: committed},
    )


def test_nothing_is_committed_while_the_committed_offset_is_unknown() -> None:
    assert Consumer._new_offset(committing(None, [5, 6, 7]), ORDERS) is None


def test_a_commit_takes_the_run_of_acknowledged_offsets_from_the_committed_one() -> None:
    assert Consumer._new_offset(committing(0, [5, 6, 7]), ORDERS) is None  # 0-4 never acknowledged
    assert Consumer._new_offset(committing(5, [5, 6, 7, 9]), ORDERS) == 8
