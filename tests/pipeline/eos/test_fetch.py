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
        _unanchored={},
    )
    state._refill = lambda tp, offset: Consumer._refill(state, tp, offset)
    state._learn_committed = lambda offsets: Consumer._learn_committed(state, offsets)
    state._seek_unanchored = lambda: Consumer._seek_unanchored(state)
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


def gaps(state: SimpleNamespace, tp: TP = ORDERS) -> list[tuple[int, int]]:
    return sorted((interval.begin, interval.end) for interval in state._gap[tp])


def test_offsets_skipped_between_messages_of_a_generation_are_a_gap() -> None:
    state = consumer({ORDERS: 760})
    assert state.admit(ORDERS, 762)  # 760-761: a transaction marker, an aborted record
    assert state.admit(ORDERS, 765)
    assert gaps(state) == [(760, 762), (763, 765)]


def test_the_seek_brings_what_lay_before_a_first_record_handed_over_without_a_committed_offset() -> None:
    # The streams ran before the recovery's seek: the first record handed over
    # (5) came with no committed offset, so what lay before it was unknown.
    # 0-2 had been fetched and dropped; 3-4 are a transaction marker and an
    # aborted record, which a read_committed fetch never returns.
    state = consumer()
    assert [state.admit(ORDERS, offset) for offset in (5, 6, 8)] == [True] * 3
    state._committed_offset[ORDERS] = 0  # the seek: the partition's first offset
    state._read_offset[ORDERS] = 8  # the fetch loop's last offset handed over
    assert state.admit(ORDERS, 0)
    assert state._read_offset[ORDERS] is None  # not dropped by the fetch loop as read before
    assert [state.admit(ORDERS, offset) for offset in (1, 2, 5, 6, 8, 9)] == [True, True, False, False, False, True]
    assert gaps(state) == [(3, 5), (7, 8)]
    assert [state.admit(ORDERS, offset) for offset in (0, 1)] == [False, False]  # the hole is filled


def test_a_first_record_handed_over_without_a_committed_offset_after_a_transaction_marker() -> None:
    state = consumer()
    assert state.admit(ORDERS, 2)  # 0: an aborted record, 1: its marker
    state._committed_offset[ORDERS] = 0
    assert [state.admit(ORDERS, offset) for offset in (2, 3)] == [False, True]
    assert gaps(state) == [(0, 2)]


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


async def test_a_seek_s_committed_offset_is_known_before_its_fetch_can_return_records() -> None:
    # Records fetched after a seek can reach the consumer while the seek's
    # other requests are still awaited; handed over then, they must find the
    # offset they were sought from (see Consumer._refill).
    state = consumer()
    other = TP("orders", 5)
    seeks = seeking(state, {ORDERS: 120, other: None}, {ORDERS: 0, other: 0})
    known_when = {}

    async def earliest_offsets(*partitions):
        known_when["earliest_offsets"] = dict(state._committed_offset)
        return {tp: 0 for tp in partitions}

    async def seek(tp, offset):
        known_when[tp] = state._committed_offset.get(tp)
        seeks.append((tp, offset))

    state.earliest_offsets, state.seek = earliest_offsets, seek
    await Consumer.perform_seek(state)
    assert known_when == {"earliest_offsets": {ORDERS: 120}, other: 0}
    assert seeks == [(other, 0)] and state._committed_offset == {ORDERS: 120, other: 0}


async def test_a_first_record_the_seek_s_own_fetch_returned_is_fetched_again_from_the_committed_offset() -> None:
    # seek_to_committed sought ORDERS to 4181 (a transaction marker) and its
    # fetch returned 4182.. before the call returned, with no committed
    # offset known yet; nothing would fetch 4181 again.
    state = consumer()
    assert [state.admit(ORDERS, offset) for offset in (4182, 4183)] == [True, True]
    seeks = seeking(state, {ORDERS: 4181}, {ORDERS: 0})
    await Consumer.perform_seek(state)
    assert seeks == [(ORDERS, 4181)]
    # The fetch from 4181: its first record anchors the run, and nothing is handed over twice.
    assert [state.admit(ORDERS, offset) for offset in (4182, 4183, 4184)] == [False, False, True]
    assert gaps(state) == [(4181, 4182)]
    commit = committing(4181, [4182, 4183, 4184])
    commit._gap = state._gap
    assert Consumer._new_offset(commit, ORDERS) == 4185


async def test_a_partition_whose_first_record_came_after_its_committed_offset_was_known_is_not_sought_again() -> None:
    state = consumer()
    seeks = seeking(state, {ORDERS: 4181}, {ORDERS: 0})
    await Consumer.perform_seek(state)
    assert state.admit(ORDERS, 4182)
    assert seeks == [] and gaps(state) == [(4181, 4182)]


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
