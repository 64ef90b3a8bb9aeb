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

The transaction's lock is not needed: attachments are published by the
consumer's commit, before it commits the transactions, and commits do not
overlap, so no commit of the same transaction runs meanwhile.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from functools import partial
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.structs import RecordMetadata
from faust.types import FutureMessage

log = logging.getLogger(__name__)


class RecordBatch:
    """Messages bound for one partition in one transaction, and the batch that carries them."""

    def __init__(self, producer: AIOKafkaProducer, topic: str, partition: int) -> None:
        self.producer = producer
        self.topic = topic
        self.partition = partition
        self.builder = producer.create_batch()
        #: (message, sensor state, record timestamp) in batch order
        self.messages: list[tuple[FutureMessage, Any, int]] = []

    def append(self, fut: FutureMessage, state: Any) -> bool:
        """Add ``fut``'s record; False if the batch is full."""
        message = fut.message
        headers = message.headers
        if isinstance(headers, Mapping):
            headers = list(headers.items())
        timestamp = message.timestamp
        metadata = self.builder.append(
            timestamp=int(timestamp * 1000.0) if timestamp else None,
            key=message.key, value=message.value, headers=headers or [],
        )
        if metadata is None:
            return False
        self.messages.append((fut, state, metadata.timestamp))
        return True


class RecordBatches:
    """The batches of one commit round, submitted in the order they were filled."""

    def __init__(self, sensors: Any, faust_producer: Any) -> None:
        self.sensors = sensors
        self.faust_producer = faust_producer
        self._open: dict[tuple[AIOKafkaProducer, str, int], RecordBatch] = {}
        self._filled: list[RecordBatch] = []

    def add(self, producer: AIOKafkaProducer, topic: str, partition: int, fut: FutureMessage, state: Any) -> None:
        key = (producer, topic, partition)
        batch = self._open.get(key)
        if batch is None or not batch.append(fut, state):
            # An empty batch takes any record, however large (aiokafka's builder).
            batch = self._open[key] = RecordBatch(producer, topic, partition)
            self._filled.append(batch)
            batch.append(fut, state)

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
                        len(batch.messages), batch.topic, batch.partition, exc)
            for fut, state, _ in batch.messages:
                fut.set_exception(exc)
                sensors.on_send_error(producer, exc, state)
            return
        base: RecordMetadata = result.result()
        for index, (fut, state, timestamp) in enumerate(batch.messages):
            metadata = RecordMetadata(
                base.topic, base.partition, base.topic_partition, base.offset + index,
                timestamp if base.timestamp == -1 else base.timestamp,
                base.timestamp_type, base.log_start_offset,
            )
            fut.set_result(metadata)
            callback = fut.message.callback
            if callback:
                callback(fut)
            sensors.on_send_completed(producer, state, metadata)
