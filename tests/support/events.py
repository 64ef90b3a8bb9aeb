"""Build and publish contract events, and read back what the pipeline derived."""
from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from datetime import datetime, timezone
from decimal import Decimal

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.structs import TopicPartition

from pipeline.models import FundsDeposited, OrderItem, OrderPlaced, StockReplenished
from pipeline.serde import TOPIC_RECORDS, SchemaRegistry, bundle
from pipeline.settings import Settings


def _now() -> datetime:
    return datetime.now(timezone.utc)


def order(order_id: str, user_id: str, items: list[tuple[str, int, str]], *,
          total: str | None = None, event_id: str | None = None, promo: str | None = None) -> OrderPlaced:
    """An order of ``(sku, quantity, unitPrice)`` items; ``total`` defaults to their sum."""
    lines = [OrderItem(sku=sku, quantity=q, unitPrice=Decimal(price)) for sku, q, price in items]
    return OrderPlaced(
        eventId=event_id or str(uuid.uuid4()), orderId=order_id, userId=user_id, items=lines,
        total=Decimal(total) if total is not None else sum((i.quantity * i.unitPrice for i in lines), Decimal("0.00")),
        occurredAt=_now(), correlationId=None, promoCode=promo,
    )


def stock(sku: str, quantity: int) -> StockReplenished:
    return StockReplenished(eventId=str(uuid.uuid4()), sku=sku, quantity=quantity, occurredAt=_now())


def deposit(user_id: str, amount: str) -> FundsDeposited:
    return FundsDeposited(eventId=str(uuid.uuid4()), userId=user_id, amount=Decimal(amount), occurredAt=_now())


async def publish(settings: Settings, topic: str, records, *, schema_file: str | None = None,
                  misplaced: bool = False) -> None:
    """Send ``records`` to ``topic`` keyed as the contract says, and wait for the acks.

    With Kafka's default partitioner (murmur2), or with ``misplaced`` each on
    the partition after that one, as a producer with another partitioner would.
    """
    registry = SchemaRegistry(settings.registry_url)
    serializer = registry.serializer(topic, TOPIC_RECORDS[topic])
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, linger_ms=5, acks="all")
    await producer.start()
    try:
        partitions = sorted(await producer.partitions_for(topic))
        futures = []
        for r in records:
            key = getattr(r, r.key_field).encode()
            partition = None
            if misplaced:
                partition = (DefaultPartitioner()(key, partitions, partitions) + 1) % len(partitions)
            futures.append(await producer.send(topic, serializer.encode(r), key=key, partition=partition))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def publish_raw(settings: Settings, topic: str, key: bytes, value: bytes, headers: list | None = None) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


#: Seconds a reader goes on after its expected records, to catch extra (duplicate) ones.
SETTLE_SECONDS = 3.0


async def read_topic(settings: Settings, topic: str, accept, *, expected: int, timeout: float = 120.0,
                     record: str | None = None, settle: float = SETTLE_SECONDS) -> list:
    """Read ``topic`` from the start with ``read_committed`` until ``expected`` records pass
    ``accept`` (or ``timeout``), then ``settle`` seconds longer to catch any extra (duplicate) ones.
    Values are decoded with ``record``'s reader schema when given (each event of a bundle on
    its own), else left as messages."""
    registry = SchemaRegistry(settings.registry_url)
    decode = registry.deserializer(record).decode if record else None
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None,
                                isolation_level="read_committed", enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [0])]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        found: list = []
        deadline = time.monotonic() + timeout
        settle_until = None
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                for message in messages:
                    if not decode:
                        values = [message]
                    elif bundle.is_bundle(message.headers):
                        values = [decode(value) for _, value in bundle.unpack(message.value)]
                    else:
                        values = [decode(message.value)]
                    found.extend(value for value in values if accept(value))
            if len(found) >= expected and settle_until is None:
                settle_until = time.monotonic() + settle
            if settle_until is not None and time.monotonic() >= settle_until:
                break
        return found
    finally:
        await consumer.stop()


async def outcomes_for(settings: Settings, prefix: str, expected: int, timeout: float = 120.0,
                       settle: float = SETTLE_SECONDS) -> list[dict]:
    """Every ``OrderOutcome`` (duplicates included) whose orderId starts with ``prefix``."""
    return await read_topic(settings, "order-outcomes", lambda o: o["orderId"].startswith(prefix),
                            expected=expected, timeout=timeout, record="OrderOutcome", settle=settle)


def by_order(outcomes: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for outcome in outcomes:
        grouped[outcome["orderId"]].append(outcome)
    return grouped
