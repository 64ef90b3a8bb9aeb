"""Kafka's default partitioner: murmur2 of the key, in C.

Every input order is tested against the partition that owns its orderId
(:mod:`agents.ingest`), and every keyed send the worker has not seen before
is partitioned (:meth:`pipeline.eos.transport.TransactionManager.partition_of`);
orderIds are new each time, so nothing can be remembered for them. Faust asks
aiokafka (``AIOKafkaConsumerThread.key_partition``), which copies the topic's
partitions into two lists and hashes the key one byte at a time in pure
Python (~5 us a key). Here the hash is the ``murmurhash2`` package's
MurmurHash2 with Kafka's seed (~0.3 us), and the partition is the hash
modulo the partition count, which is what aiokafka's ``DefaultPartitioner``
returns (a topic's partitions are numbered 0..n-1), as Java's client and
librdkafka's ``murmur2_random`` do.
"""
from __future__ import annotations

from typing import Optional

from murmurhash2 import murmurhash2

#: The seed of Kafka's murmur2 (``Utils.murmur2`` in Kafka's Java client).
SEED = 0x9747B28C


def murmur2(data: bytes) -> int:
    """MurmurHash2 of ``data`` as Kafka's clients compute it (unsigned 32 bits)."""
    return murmurhash2(data, SEED)


def partition_for(key: bytes, partitions: int) -> int:
    """The partition of ``key`` on a topic of ``partitions`` partitions."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def key_partition(cluster, topic: str, key: bytes) -> Optional[int]:
    """The partition of ``key`` on ``topic`` by ``cluster``'s metadata; None if it has none for the topic."""
    partitions = cluster.partitions_for_topic(topic)
    if not partitions:
        return None
    return partition_for(key, len(partitions))
