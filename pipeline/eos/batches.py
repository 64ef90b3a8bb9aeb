"""A commit's attached messages, published as one record batch per transaction and partition.

Faust publishes an attached message with ``Producer.send``, which takes the
transaction's lock and calls aiokafka's ``send``: a metadata check, the
transaction state check, the partitioner, a new batch look-up and a
delivery future per record, then one ``call_soon`` per record when its
batch is acknowledged, to run Faust's ``Topic._on_published``. A saga order
is ~25 records, all of them attached, all published at commit. Here the
records of one commit round are appended to aiokafka record batches
(``AIOKafkaProducer.create_batch``), one open batch per transactional
producer and partition, each submitted with ``send_batch``; when a batch is
acknowledged, its messages are completed in one pass, with the offsets
aiokafka itself would give them (the batch's base offset + their index).

Messages to a bundled topic (:mod:`pipeline.serde.bundle`) go in bundle
records, as many events of one transaction and partition per record as the
limits below allow; each message of a bundle completes with its record's
metadata. Attached records (:class:`~pipeline.eos.attachments.Record`)
complete nothing of their own; a batch of a table's changelog records tells
the table the offset of its last one.

The transaction's lock is not needed: attachments are published by the
consumer's commit, before it commits the transactions, and commits do not
overlap, so no commit of the same transaction runs meanwhile.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from functools import partial
from typing import Any, Optional

from aiokafka import AIOKafkaProducer
from aiokafka.structs import RecordMetadata
from faust.types import FutureMessage

from pipeline.eos.attachments import Attached, Record
from pipeline.serde import bundle

log = logging.getLogger(__name__)

#: Events per bundle record at most: a bundle is one event of its stream, which
#: takes its events one after the other without yielding to the event loop.
MAX_BUNDLE_EVENTS = 200
#: Bytes of events per bundle record at most, far below Kafka's 1 MiB record limit.
MAX_BUNDLE_BYTES = 256 * 1024
BUNDLE_HEADERS = [(bundle.HEADER, bundle.VERSION)]


class RecordBatch:
    """Records bound for one partition in one transaction, and the batch that carries them."""

    def __init__(self, producer: AIOKafkaProducer, topic: str, partition: int) -> None:
        self.producer = producer
        self.topic = topic
        self.partition = partition
        self.builder = producer.create_batch()
        self.size = 0
        #: the records whose delivery completes messages or sensor states, in batch order:
        #: (index in the batch, [(message or None, sensor state)], record timestamp)
        self.deliveries: list[tuple[int, list[tuple[Optional[FutureMessage], Any]], int]] = []
        #: (table, index of its last record), when the batch carries changelog records
        self.changelog: Optional[tuple[Any, int]] = None

    def append(self, key: Optional[bytes], value: Optional[bytes], headers: Any, timestamp: Optional[float],
               messages: list[tuple[Optional[FutureMessage], Any]]) -> bool:
        """Add a record that carries ``messages``; False if the batch is full."""
        if isinstance(headers, Mapping):
            headers = list(headers.items())
        metadata = self.builder.append(
            timestamp=int(timestamp * 1000.0) if timestamp else None,
            key=key, value=value, headers=headers or [],
        )
        if metadata is None:
            return False
        if messages:
            self.deliveries.append((self.size, messages, metadata.timestamp))
        self.size += 1
        return True


def deliveries(attached: list[tuple[Attached, Any]]) -> list[tuple[Optional[FutureMessage], Any]]:
    """What a record's delivery completes: the futures of ``attached`` and the sensor states there are."""
    return [(None if isinstance(item, Record) else item, state) for item, state in attached
            if state is not None or not isinstance(item, Record)]


class RecordBatches:
    """The batches of one commit round, submitted in the order they were filled."""

    def __init__(self, sensors: Any, faust_producer: Any) -> None:
        self.sensors = sensors
        self.faust_producer = faust_producer
        self._open: dict[tuple[AIOKafkaProducer, str, int], RecordBatch] = {}
        self._filled: list[RecordBatch] = []

    def add(self, producer: AIOKafkaProducer, topic: str, partition: int, item: Attached, state: Any) -> None:
        """One record for ``item``; a changelog record's table files the batch's last offset when delivered."""
        message = item.message
        batch = self._append(producer, topic, partition, message.key, message.value, message.headers,
                             message.timestamp, deliveries([(item, state)]))
        if isinstance(item, Record) and item.table is not None:
            batch.changelog = (item.table, batch.size - 1)

    def add_changelog(self, producer: AIOKafkaProducer, table: Any, topic: str, partition: int,
                      key: bytes, value: Optional[bytes], state: Any) -> None:
        """One changelog record of ``table``; its table files the batch's last offset when delivered."""
        batch = self._append(producer, topic, partition, key, value, None, None,
                             [(None, state)] if state is not None else [])
        batch.changelog = (table, batch.size - 1)

    def add_bundles(self, producer: AIOKafkaProducer, topic: str, partition: int,
                    messages: list[tuple[Attached, Any]]) -> None:
        """``messages`` (with their sensor states) in as few bundle records as their sizes allow."""
        start, size = 0, 0
        for index, (item, _) in enumerate(messages):
            message = item.message
            size += len(message.key or b"") + len(message.value) + 8
            if index + 1 - start >= MAX_BUNDLE_EVENTS or size >= MAX_BUNDLE_BYTES or index + 1 == len(messages):
                chunk = messages[start:index + 1]
                value = bundle.pack((item.message.key, item.message.value) for item, _ in chunk)
                first = chunk[0][0].message
                self._append(producer, topic, partition, first.key, value, BUNDLE_HEADERS, first.timestamp,
                             deliveries(chunk))
                start, size = index + 1, 0

    def _append(self, producer: AIOKafkaProducer, topic: str, partition: int, key: Optional[bytes],
                value: Optional[bytes], headers: Any, timestamp: Optional[float], messages: list) -> RecordBatch:
        batch_key = (producer, topic, partition)
        batch = self._open.get(batch_key)
        if batch is None or not batch.append(key, value, headers, timestamp, messages):
            # An empty batch takes any record, however large (aiokafka's builder).
            batch = self._open[batch_key] = RecordBatch(producer, topic, partition)
            self._filled.append(batch)
            batch.append(key, value, headers, timestamp, messages)
        return batch

    async def send(self) -> list[asyncio.Future]:
        """Submit every batch; returns the futures of their delivery."""
        delivered = []
        for batch in self._filled:
            batch.builder.close()
            sent = await batch.producer.send_batch(batch.builder, batch.topic, partition=batch.partition)
            sent.add_done_callback(partial(self._on_delivered, batch))
            delivered.append(sent)
        self._open.clear()
        self._filled.clear()
        return delivered

    def _on_delivered(self, batch: RecordBatch, result: asyncio.Future) -> None:
        """What Faust's ``Topic._on_published`` does, for each message of the batch."""
        producer, sensors = self.faust_producer, self.sensors
        exc = asyncio.CancelledError() if result.cancelled() else result.exception()
        if exc is not None:
            log.warning("batch of %d records for %s[%d] failed: %r",
                        batch.size, batch.topic, batch.partition, exc)
            for _, messages, _ in batch.deliveries:
                for fut, state in messages:
                    if fut is not None:
                        fut.set_exception(exc)
                    sensors.on_send_error(producer, exc, state)
            return
        base: RecordMetadata = result.result()
        for index, messages, timestamp in batch.deliveries:
            metadata = RecordMetadata(
                base.topic, base.partition, base.topic_partition, base.offset + index,
                timestamp if base.timestamp == -1 else base.timestamp,
                base.timestamp_type, base.log_start_offset,
            )
            for fut, state in messages:
                if fut is not None:
                    fut.set_result(metadata)
                    callback = fut.message.callback
                    if callback:
                        callback(fut)
                sensors.on_send_completed(producer, state, metadata)
        if batch.changelog is not None:
            table, index = batch.changelog
            table.on_changelog_delivered(base.topic_partition, base.offset + index)
