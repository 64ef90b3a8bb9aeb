"""Read the outcomes of one demo run from ``order-outcomes``, as a ``read_committed`` consumer.

Reading starts at the topic's end as it is before the run's orders go out,
and keeps only orderIds with the run's prefix, so outcomes of earlier runs
or of other producers never count.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from pipeline.serde import SchemaRegistry
from pipeline.settings import Settings

TOPIC = "order-outcomes"


@dataclass
class Outcome:
    status: str
    reason: str | None
    occurred_at_ms: int  # the outcome's occurredAt
    read_at: float  # time.time() when this consumer saw it


@dataclass
class Outcomes:
    """The first outcome of each order, and how many more arrived for orders that had one."""

    first: dict[str, Outcome] = field(default_factory=dict)
    duplicates: int = 0
    last_read: float | None = None  # time.time() of the newest first outcome


class OutcomeReader:
    def __init__(self, settings: Settings, prefix: str, registry: SchemaRegistry) -> None:
        self.prefix = prefix.encode()
        self.decode = registry.deserializer("OrderOutcome").decode
        self.consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None,
                                         isolation_level="read_committed", enable_auto_commit=False)
        self.outcomes = Outcomes()

    async def __aenter__(self) -> "OutcomeReader":
        """Start at the end of every partition of ``order-outcomes``."""
        await self.consumer.start()
        partitions = self.consumer.partitions_for_topic(TOPIC)
        if not partitions:
            await self.consumer._client.force_metadata_update()
            partitions = self.consumer.partitions_for_topic(TOPIC) or ()
        if not partitions:
            await self.consumer.stop()
            raise LookupError(f"topic {TOPIC!r} does not exist (the worker creates it when it starts)")
        assigned = [TopicPartition(TOPIC, p) for p in sorted(partitions)]
        self.consumer.assign(assigned)
        await self.consumer.seek_to_end(*assigned)
        for tp in assigned:  # resolve the lazy seek now, before any order of the run is sent
            await self.consumer.position(tp)
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.consumer.stop()

    async def read(self, done: Callable[[], bool], advance: Callable[[int], None] = lambda n: None,
                   check: Callable[[], None] = lambda: None) -> Outcomes:
        """Read until ``done()``; ``advance(n)`` counts new orders, ``check()`` raises to give up."""
        seen = self.outcomes
        while not done():
            check()
            batches = await self.consumer.getmany(timeout_ms=300)
            now = time.time()
            for messages in batches.values():
                for message in messages:
                    if message.key is None or not message.key.startswith(self.prefix):
                        continue
                    value = self.decode(message.value, message.topic, message.partition, message.offset)
                    if value["orderId"] in seen.first:
                        seen.duplicates += 1
                        continue
                    seen.first[value["orderId"]] = Outcome(
                        value["status"], value["reason"], int(value["occurredAt"].timestamp() * 1000), now)
                    seen.last_read = now
                    advance(1)
        return seen
