"""A registry restart in the middle of consumption delays records, loses none.

Runs a stack of its own (the session's stack is shared and must stay up):
the registry is stopped just before the first record whose writer schema is
not cached yet, and started again while the Faust decoder waits for it.
"""
from __future__ import annotations

import asyncio
import logging
import uuid

import faust
import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from faust.types.tuples import Message

from pipeline.models import OrderPlaced
from pipeline.models.examples import order
from pipeline.serde import SchemaRegistry, schemas
from pipeline.serde.admin import register_all
from pipeline.serde.codec import Serializer
from pipeline.serde.demo import read_topic
from pipeline.serde.faust import AvroSchema
from pipeline.stack import Stack

PER_VERSION = 10


@pytest.fixture
def stack(tmp_path):
    stack = Stack.on_free_ports(tmp_path / "stack")
    try:
        stack.up()
        yield stack
    finally:
        stack.down(purge=True)


def write_v1_then_v2(stack: Stack, topic: str) -> None:
    registry = SchemaRegistry(stack.registry_url)
    register_all(registry, {"orders": "OrderPlaced"})
    admin = AdminClient({"bootstrap.servers": stack.bootstrap_servers})  # must outlive the future
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    producer = Producer({"bootstrap.servers": stack.bootstrap_servers, "enable.idempotence": True})
    for version in schemas.versions("OrderPlaced"):
        writer = Serializer(registry, "orders-value", version, topic=topic)
        for n in range(PER_VERSION):
            record = order(f"v{version.version}-{n}", promo_code=f"P{n}").to_avro()
            if version.version == 1:
                del record["promoCode"]
            producer.produce(topic, key=record["orderId"].encode(), value=writer.encode(record))
    assert producer.flush(30) == 0


def read_all(stack: Stack, topic: str) -> list[Message]:
    """The records as Faust hands them to a schema's decoder."""
    return [Message(m.topic(), m.partition(), m.offset(), 0.0, 0, m.headers(), m.key(), m.value(), None)
            for m in read_topic(stack.bootstrap_servers, topic, 2 * PER_VERSION)]


async def decode_all(decode, messages: list[Message]) -> list:
    return [await decode(message) for message in messages]


async def test_registry_restart_mid_consumption_loses_nothing(stack, caplog):
    topic = f"orders-restart-{uuid.uuid4().hex[:8]}"
    write_v1_then_v2(stack, topic)
    messages = read_all(stack, topic)
    app = faust.App("serde-restart", broker="memory://", store="memory://")
    registry = SchemaRegistry(stack.registry_url, backoff_initial=0.2, backoff_max=2.0)
    decode = AvroSchema(registry, "OrderPlaced", OrderPlaced).compile(app)

    events = [await decode(message) for message in messages[:PER_VERSION]]  # caches the v1 writer schema
    stack.registry.process.stop()
    caplog.set_level(logging.WARNING, logger="pipeline.serde.registry")
    restart = asyncio.create_task(asyncio.to_thread(stack.up))  # returns once the registry is ready
    decoding = asyncio.create_task(decode_all(decode, messages[PER_VERSION:]))
    await asyncio.wait({restart, decoding}, return_when=asyncio.FIRST_EXCEPTION)
    if restart.done() and restart.exception():
        decoding.cancel()
    await restart
    events += await decoding

    assert any("unreachable" in record.getMessage() for record in caplog.records), "the registry never blinked"
    values = [event.value for event in events]
    assert all(isinstance(value, OrderPlaced) for value in values), [type(v).__name__ for v in values]
    assert [v.orderId for v in values] == [f"v{ver}-{n}" for ver in (1, 2) for n in range(PER_VERSION)]
    assert [v.promoCode for v in values] == [None] * PER_VERSION + [f"P{n}" for n in range(PER_VERSION)]
