"""Keys are partitioned as aiokafka's (and Java's) default partitioner does."""
from __future__ import annotations

import random
from types import SimpleNamespace

from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as aiokafka_murmur2

from pipeline.eos.partitioner import key_partition, murmur2, partition_for
from pipeline.eos.transport import Consumer


def keys() -> list[bytes]:
    rng = random.Random(7)
    made = [bytes(rng.getrandbits(8) for _ in range(length)) for length in range(41) for _ in range(25)]
    return made + [b"order-000123", b"SKU-0001", b"user-42", b"\xff" * 9]


def test_murmur2_is_kafkas() -> None:
    for key in keys():
        assert murmur2(key) == aiokafka_murmur2(key), key


def test_a_key_lands_where_the_default_partitioner_puts_it() -> None:
    for partitions in (1, 3, 6, 7, 64):
        everything = list(range(partitions))
        placed = {partition_for(key, partitions) for key in keys()}
        assert placed == set(everything)
        for key in keys():
            assert partition_for(key, partitions) == DefaultPartitioner()(key, everything, everything)


class Cluster:
    def __init__(self, **topics: int) -> None:
        self.topics = topics

    def partitions_for_topic(self, topic: str):
        count = self.topics.get(topic)
        return None if count is None else set(range(count))


def test_the_consumer_partitions_by_its_metadata() -> None:
    cluster = Cluster(replies=6, empty=0)
    consumer = SimpleNamespace(_thread=SimpleNamespace(
        _ensure_consumer=lambda: SimpleNamespace(_client=SimpleNamespace(cluster=cluster))))
    assert Consumer.key_partition(consumer, "replies", b"order-000123") == partition_for(b"order-000123", 6)
    assert key_partition(cluster, "unknown", b"k") is None
    assert key_partition(cluster, "empty", b"k") is None
