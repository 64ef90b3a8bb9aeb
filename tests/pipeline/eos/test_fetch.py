"""What the consumer hands to the streams after a seek, and the committed offsets a seek leaves."""
from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace

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
