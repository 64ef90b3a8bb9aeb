"""Consumer lag of the pipeline's consumer group, from Kafka's AdminClient.

The usual figure (what ``kafka-consumer-groups`` shows) is end offset minus
committed offset, summed. On topics written in transactions it never reaches
0: every committed transaction leaves a commit marker, a control record that
takes an offset but that no consumer ever sees, and the group's committed
offset stops right after the last *data* record. So next to the offset lag
this module counts the records really left to process, by reading each
lagging partition's gap ``read_committed``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, IsolationLevel, KafkaError, TopicPartition
from confluent_kafka.admin import OffsetSpec

from pipeline.admin import admin_client
from pipeline.app import APP_ID
from pipeline.settings import Settings


@dataclass(frozen=True)
class Lag:
    """The group's lag over all the partitions it committed offsets on."""

    offsets: int  # end offsets minus committed offsets, summed
    records: int  # data records among them (the rest are transaction markers)
    partitions: int  # partitions with offset lag


def offset_gaps(settings: Settings, group: str, timeout: float) -> dict[tuple[str, int], tuple[int, int]]:
    """(topic, partition) -> (committed, end) for every partition the group committed on."""
    admin = admin_client(settings)
    request = [ConsumerGroupTopicPartitions(group)]
    committed = admin.list_consumer_group_offsets(request, request_timeout=timeout)[group].result(timeout)
    positions = {(tp.topic, tp.partition): tp.offset for tp in committed.topic_partitions if tp.offset >= 0}
    if not positions:
        return {}
    ends = admin.list_offsets({TopicPartition(t, p): OffsetSpec.latest() for t, p in positions},
                              isolation_level=IsolationLevel.READ_COMMITTED, request_timeout=timeout)
    return {(tp.topic, tp.partition): (positions[tp.topic, tp.partition], future.result(timeout).offset)
            for tp, future in ends.items()}


def records_between(settings: Settings, gaps: dict[tuple[str, int], tuple[int, int]], timeout: float) -> int:
    """Data records a ``read_committed`` reader finds in the ``[start, end)`` gap of each partition."""
    consumer = Consumer({"bootstrap.servers": settings.bootstrap_servers, "group.id": f"{APP_ID}-lag-probe",
                         "enable.auto.commit": False, "isolation.level": "read_committed",
                         "enable.partition.eof": True})
    try:
        consumer.assign([TopicPartition(t, p, start) for (t, p), (start, _) in gaps.items()])
        remaining, found = set(gaps), 0
        deadline = time.monotonic() + timeout
        while remaining:
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading the lag of {len(remaining)} partitions, e.g. {min(remaining)}, "
                                   f"took over {timeout:.0f} s")
            message = consumer.poll(0.5)
            if message is None:
                continue
            where = (message.topic(), message.partition())
            if message.error():
                if message.error().code() != KafkaError._PARTITION_EOF:
                    raise RuntimeError(f"reading {where[0]}[{where[1]}]: {message.error()}")
                remaining.discard(where)
            elif message.offset() < gaps[where][1]:
                found += 1
            else:
                remaining.discard(where)
        return found
    finally:
        consumer.close()


def consumer_lag(settings: Settings, group: str = APP_ID, timeout: float = 30.0) -> Lag:
    gaps = {tp: (start, end) for tp, (start, end) in offset_gaps(settings, group, timeout).items() if end > start}
    records = records_between(settings, gaps, timeout) if gaps else 0
    return Lag(sum(end - start for start, end in gaps.values()), records, len(gaps))
