"""Partitions of keyed sends are computed once per key and topic, in bounded memory."""
from __future__ import annotations

from types import SimpleNamespace

from pipeline.eos import transport
from pipeline.eos.transport import TransactionManager


def manager(partitions: int = 6) -> SimpleNamespace:
    """What ``partition_of`` reads: a consumer whose partitioner counts its calls."""
    calls: list = []

    def key_partition(topic, key, partition=None):
        calls.append((topic, key))
        return None if topic == "unknown" else (len(key or b"") % partitions)

    return SimpleNamespace(consumer=SimpleNamespace(key_partition=key_partition), _partitions={}, calls=calls)


def test_a_key_is_partitioned_once_per_topic() -> None:
    state = manager()
    first = [TransactionManager.partition_of(state, "replies", b"order-1") for _ in range(3)]
    other = TransactionManager.partition_of(state, "outcomes", b"order-1")
    assert first == [1, 1, 1] and other == 1
    assert state.calls == [("replies", b"order-1"), ("outcomes", b"order-1")]


def test_unkeyed_messages_and_topics_without_metadata_are_never_remembered() -> None:
    state = manager()
    for _ in range(2):
        TransactionManager.partition_of(state, "replies", None)
        assert TransactionManager.partition_of(state, "unknown", b"k") is None
    assert len(state.calls) == 4
    assert state._partitions == {}


def test_the_memory_is_bounded(monkeypatch) -> None:
    monkeypatch.setattr(transport, "PARTITION_CACHE_SIZE", 3)
    state = manager()
    for n in range(4):
        TransactionManager.partition_of(state, "replies", b"k" * n)
    assert list(state._partitions) == [("replies", b"kkk")]
