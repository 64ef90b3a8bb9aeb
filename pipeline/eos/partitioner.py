"""Kafka's default partitioner (murmur2 of the key), a word at a time.

Every input order is tested against the partition that owns its key
(:mod:`agents.ingest`), and every keyed send the worker has not seen before
is partitioned (:meth:`pipeline.eos.transport.TransactionManager.partition_of`);
orderIds are new each time, so nothing can be remembered for them. Faust asks
aiokafka (``AIOKafkaConsumerThread.key_partition``), which copies the topic's
partitions into two lists and hashes the key one byte at a time in pure
Python: ~5% of the saga worker in a profile, for one call an order. Here the
key's 4-byte words are unpacked at once and the partition is the hash modulo
the partition count, which is what aiokafka's ``DefaultPartitioner`` returns
(a topic's partitions are numbered 0..n-1), as Java's client and librdkafka's
``murmur2_random`` do.
"""
from __future__ import annotations

import struct
from typing import Optional

_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """MurmurHash2 of ``data`` as Kafka's clients compute it (unsigned 32 bits)."""
    length = len(data)
    h = _SEED ^ length
    words = length >> 2
    if words:
        for k in struct.unpack_from(f"<{words}I", data):
            k = (k * _M) & _MASK
            k ^= k >> 24
            h = ((h * _M) & _MASK) ^ ((k * _M) & _MASK)
    rest = length & 3
    if rest:
        tail = words << 2
        if rest == 3:
            h ^= data[tail + 2] << 16
        if rest >= 2:
            h ^= data[tail + 1] << 8
        h ^= data[tail]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    return h ^ (h >> 15)


def partition_for(key: bytes, partitions: int) -> int:
    """The partition of ``key`` on a topic of ``partitions`` partitions."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def key_partition(cluster, topic: str, key: bytes) -> Optional[int]:
    """The partition of ``key`` on ``topic`` by ``cluster``'s metadata; None if it has none for the topic."""
    partitions = cluster.partitions_for_topic(topic)
    if not partitions:
        return None
    return partition_for(key, len(partitions))
