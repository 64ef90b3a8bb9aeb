"""Consumer lag of a group, read from the broker (not from the consumer).

For every partition of the topics the group consumes, ``lag = end -
committed``: ``end`` is the partition's last stable offset (the furthest a
``read_committed`` consumer can read) and ``committed`` the group's committed
offset, or the partition's first offset where the group never committed
(Faust starts there: ``consumer_auto_offset_reset="earliest"``). Both come
from Kafka's admin API, so the lag keeps rising while a consumer is stalled.

Exactly-once makes the plain difference lie. A transaction ends with a commit
marker that takes an offset but is never delivered, and the records of an
aborted transaction are skipped by ``read_committed`` consumers; Faust commits
the offset after the last record it *processed*, so a caught-up partition of
a transactional topic shows a lag of 1 (the marker), or more after an abort.
So a partition with a gap is probed: a ``read_committed`` consumer reads it
from the committed offset, and if it reaches the end without a single
record, only markers and aborted records are left and the lag is 0. Probe
results are kept while the committed offset stays put, so a stalled
partition is probed once, and a partition whose end moved is probed only
from where the last probe stopped.
"""
from __future__ import annotations

from dataclasses import dataclass
from time import monotonic
from typing import Iterable, Optional

from confluent_kafka import (
    ConsumerGroupTopicPartitions,
    Consumer,
    IsolationLevel,
    KafkaError,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, OffsetSpec

Key = tuple[str, int]


class LagError(RuntimeError):
    """The broker did not tell a group's offsets."""


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    committed: Optional[int]  # None: the group never committed on this partition
    end: int
    lag: int


@dataclass(frozen=True)
class _Probed:
    start: int  # the committed offset the probe started from
    end: int  # how far it read
    first_record: Optional[int]  # the first record in [start, end), if any


class LagReader:
    """Reads lag through one AdminClient and one probe consumer; not thread-safe.

    Blocking: call it from a thread when in an event loop.
    """

    def __init__(self, bootstrap_servers: str, *, timeout: float = 10.0, probe_timeout: float = 5.0) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.timeout = timeout
        self.probe_timeout = probe_timeout
        self._admin_client: Optional[AdminClient] = None
        self._probe_consumer: Optional[Consumer] = None
        self._probed: dict[tuple[str, Key], _Probed] = {}

    def read(self, group: str, topics: Iterable[str] = ()) -> list[PartitionLag]:
        """The lag of ``group`` on every partition of ``topics`` and of the topics it committed on."""
        try:
            committed = self._committed(group)
            partitions = self._partitions({topic for topic, _ in committed} | set(topics))
            if not partitions:
                return []
            ends = self._offsets(partitions, OffsetSpec.latest())
            starts = dict(committed)
            never = [key for key in partitions if key not in committed]
            starts.update(self._offsets(never, OffsetSpec.earliest()) if never else {})
            has_records = self._has_records(group, {key: (starts[key], ends[key]) for key in partitions})
        except KafkaException as exc:
            raise LagError(f"cannot read the offsets of group {group!r} from "
                           f"{self.bootstrap_servers}: {exc.args[0].str()}") from exc
        except TimeoutError:
            raise LagError(f"cannot read the offsets of group {group!r} from {self.bootstrap_servers}: "
                           f"no answer in {self.timeout:.0f} s") from None
        return [
            PartitionLag(group, topic, partition, committed.get((topic, partition)), ends[(topic, partition)],
                         ends[(topic, partition)] - starts[(topic, partition)]
                         if has_records.get((topic, partition), True) else 0)
            for topic, partition in sorted(partitions)
        ]

    def close(self) -> None:
        if self._probe_consumer is not None:
            self._probe_consumer.close()
            self._probe_consumer = None

    @property
    def _admin(self) -> AdminClient:
        if self._admin_client is None:  # created on first use: building a reader connects nothing
            self._admin_client = AdminClient({"bootstrap.servers": self.bootstrap_servers})
        return self._admin_client

    def _committed(self, group: str) -> dict[Key, int]:
        futures = self._admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])
        result = futures[group].result(self.timeout)
        return {
            (tp.topic, tp.partition): tp.offset
            for tp in result.topic_partitions or ()
            if tp.offset >= 0 and tp.error is None
        }

    def _partitions(self, topics: set[str]) -> list[Key]:
        metadata = self._admin.list_topics(timeout=self.timeout).topics
        return [
            (topic, partition)
            for topic in topics if topic in metadata and metadata[topic].error is None
            for partition in metadata[topic].partitions
        ]

    def _offsets(self, partitions: Iterable[Key], spec: OffsetSpec) -> dict[Key, int]:
        futures = self._admin.list_offsets(
            {TopicPartition(topic, partition): spec for topic, partition in partitions},
            isolation_level=IsolationLevel.READ_COMMITTED, request_timeout=self.timeout,
        )
        return {(tp.topic, tp.partition): future.result(self.timeout).offset for tp, future in futures.items()}

    def _has_records(self, group: str, ranges: dict[Key, tuple[int, int]]) -> dict[Key, bool]:
        """Whether each partition has a deliverable record between its start and end offsets.

        Partitions left out are unknown (the probe timed out): their lag stays the raw gap.
        """
        known: dict[Key, bool] = {}
        to_probe: dict[Key, tuple[int, int]] = {}
        for key, (start, end) in ranges.items():
            if end <= start:
                known[key] = False
                continue
            last = self._probed.get((group, key))
            if last is None or last.start != start:
                to_probe[key] = (start, end)
            elif last.first_record is not None:
                known[key] = True
            elif last.end >= end:
                known[key] = False
            else:
                to_probe[key] = (last.end, end)  # nothing before last.end: read on from there
        for key, first_record in self._probe(to_probe).items():
            start = ranges[key][0]
            self._probed[(group, key)] = _Probed(start, to_probe[key][1], first_record)
            known[key] = first_record is not None
        return known

    def _probe(self, ranges: dict[Key, tuple[int, int]]) -> dict[Key, Optional[int]]:
        """The offset of the first record in ``[start, end)`` of each partition (None: none there)."""
        if not ranges:
            return {}
        consumer = self._consumer()
        assignment = [TopicPartition(topic, partition, start) for (topic, partition), (start, _) in ranges.items()]
        consumer.assign(assignment)
        found: dict[Key, Optional[int]] = {}
        deadline = monotonic() + self.probe_timeout
        try:
            while len(found) < len(ranges) and monotonic() < deadline:
                message = consumer.poll(0.1)
                if message is None:
                    continue
                key = (message.topic(), message.partition())
                if key not in ranges or key in found:
                    continue
                error, end = message.error(), ranges[key][1]
                if error is None:
                    found[key] = message.offset() if message.offset() < end else None
                elif error.code() == KafkaError._PARTITION_EOF and message.offset() >= end:
                    found[key] = None
                else:
                    continue
                consumer.pause([TopicPartition(*key)])
        finally:
            consumer.resume(assignment)  # a paused partition would stay paused in the next probe
            consumer.unassign()
        return found

    def _consumer(self) -> Consumer:
        if self._probe_consumer is None:
            self._probe_consumer = Consumer({
                "bootstrap.servers": self.bootstrap_servers,
                # Required by the client; the probe only assigns, never joins or commits.
                "group.id": "orderflow-lag-probe",
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "isolation.level": "read_committed",
                "enable.partition.eof": True,
                "auto.offset.reset": "earliest",
                "fetch.wait.max.ms": 100,
                "max.partition.fetch.bytes": 65536,
                "queued.max.messages.kbytes": 1024,
            })
        return self._probe_consumer
