"""Publish contract events fast: one aiokafka producer, batching and lingering.

``send`` only appends to a per-partition batch and returns a delivery future,
so records flow without a round trip each; aiokafka waits by itself when a
partition's batch is full. Keys are the contract's (orderId, sku, userId) and
go through aiokafka's default partitioner, murmur2 like Kafka's Java client,
so every key lands where a Java producer would put it.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from pipeline.admin import ensure_topics
from pipeline.generate.events import now
from pipeline.models import AvroModel
from pipeline.serde import SchemaRegistry, schemas, value_subject
from pipeline.serde.codec import Serializer
from pipeline.settings import Settings

LINGER_MS = 10
BATCH_BYTES = 256 * 1024


class ProduceError(RuntimeError):
    """Some records were not acknowledged by the broker."""


@dataclass(frozen=True)
class Produced:
    """What one :func:`produce` call wrote."""

    topic: str
    count: int
    seconds: float

    @property
    def rate(self) -> float:
        """Acknowledged records per second."""
        return self.count / self.seconds if self.seconds > 0 else float(self.count)


def serializer_for(registry: SchemaRegistry, topic: str, model: type[AvroModel]) -> Serializer:
    """The serializer of ``model``'s ``schema_version`` if it names one, else of the newest version."""
    version = getattr(model, "schema_version", None)
    if version is None:
        return registry.serializer(topic, model.avro_name)
    for candidate in schemas.versions(model.avro_name):
        if candidate.version == version:
            return Serializer(registry, value_subject(topic), candidate, topic=topic)
    raise LookupError(f"no version {version} of schema {model.avro_name} in {schemas.SCHEMA_DIR}")


async def produce(settings: Settings, topic: str, records: Iterable[AvroModel], *, rate: float = 0.0,
                  progress: Callable[[int], None] | None = None, stamp: bool = True,
                  registry: SchemaRegistry | None = None) -> Produced:
    """Send ``records`` to ``topic`` and wait until the broker has acknowledged all of them.

    ``rate`` caps records per second (0: as fast as possible). ``stamp`` sets
    each record's ``occurredAt`` to the moment it is sent (the record is
    changed in place), so that latencies measured from it start at the send.
    ``progress(n)`` is called as acknowledgements arrive. A missing topic is
    created first with the pipeline's partition count, not the broker's default.
    """
    await asyncio.to_thread(ensure_topics, settings, [topic])
    registry = registry or SchemaRegistry(settings.registry_url)
    serializers: dict[type, Serializer] = {}
    failures: list[BaseException] = []

    def delivered(future: asyncio.Future) -> None:
        if future.cancelled() or future.exception() is not None:
            failures.append(future.exception() if not future.cancelled() else asyncio.CancelledError())
        elif progress is not None:
            progress(1)

    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all",
                                enable_idempotence=True, linger_ms=LINGER_MS, max_batch_size=BATCH_BYTES)
    await producer.start()
    started = time.monotonic()
    sent = 0
    try:
        for record in records:
            if rate > 0:
                ahead = started + sent / rate - time.monotonic()
                if ahead > 0:
                    await asyncio.sleep(ahead)
            if stamp:
                record.occurredAt = now()
            serializer = serializers.get(type(record))
            if serializer is None:
                serializer = serializers[type(record)] = serializer_for(registry, topic, type(record))
            key = getattr(record, record.key_field).encode()
            future = await producer.send(topic, serializer.encode(record), key=key)
            future.add_done_callback(delivered)
            sent += 1
            if failures:
                break
        await producer.flush()
    finally:
        await producer.stop()
    if failures:
        raise ProduceError(f"{len(failures)} of {sent} records to topic {topic!r} at "
                           f"{settings.bootstrap_servers} were not acknowledged: {failures[0]!r}")
    return Produced(topic, sent, time.monotonic() - started)
