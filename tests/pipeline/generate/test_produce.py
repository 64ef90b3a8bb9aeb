"""``orderflow produce`` against the session's broker and registry."""
from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner
from confluent_kafka import Consumer, TopicPartition

from pipeline.admin import admin_client
from pipeline.cli import main
from pipeline.models import OrderPlaced
from pipeline.serde import SchemaRegistry, schemas
from pipeline.serde.codec import schema_id_of


def read_all(settings, topic: str, key_prefix: str) -> list:
    """Every message of ``topic`` whose key starts with ``key_prefix``, read up to the current end."""
    partitions = admin_client(settings).list_topics(topic, timeout=30).topics[topic].partitions
    consumer = Consumer({"bootstrap.servers": settings.bootstrap_servers, "group.id": f"test-{uuid.uuid4()}",
                         "enable.auto.commit": False, "enable.partition.eof": True})
    try:
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        open_partitions, found = set(partitions), []
        while open_partitions:
            message = consumer.poll(10)
            assert message is not None, f"no end of {topic} partitions {sorted(open_partitions)} within 10 s"
            if message.error():
                open_partitions.discard(message.partition())
            elif message.key().decode().startswith(key_prefix):
                found.append(message)
        return found
    finally:
        consumer.close()


@pytest.fixture(scope="module")
def produced(kafka_stack):
    prefix = f"test-produce-{uuid.uuid4().hex[:8]}-"
    result = CliRunner().invoke(main, ["produce", "orders", "--count", "200", "--users", "20", "--skus", "30",
                                       "--seed", "5", "--prefix", prefix])
    assert result.exit_code == 0, result.output
    return prefix, result.output, read_all(kafka_stack, "orders", prefix)


def test_writes_every_order_once_keyed_by_order_id(kafka_stack, produced):
    prefix, output, messages = produced
    registry = SchemaRegistry(kafka_stack.registry_url)
    decode = registry.deserializer("OrderPlaced").decode
    orders = [OrderPlaced.from_avro(decode(m.value(), m.topic(), m.partition(), m.offset())) for m in messages]
    assert len(orders) == 200
    assert sorted(o.orderId for o in orders) == [f"{prefix}{n:06d}" for n in range(1, 201)]
    assert all(m.key().decode() == o.orderId for m, o in zip(messages, orders))
    assert "200" in output and "records/s" in output


def test_v1_orders_carry_the_v1_schema_id(kafka_stack, produced):
    _, _, messages = produced
    registry = SchemaRegistry(kafka_stack.registry_url)
    v1, v2 = schemas.versions("OrderPlaced")
    ids = {schema_id_of(m.value()) for m in messages}
    assert ids == {registry.schema_id("orders-value", v1, register=False),
                   registry.schema_id("orders-value", v2, register=False)}


def test_a_seed_replays_the_same_orders_to_the_same_partitions(kafka_stack, produced):
    prefix, _, _ = produced
    result = CliRunner().invoke(main, ["produce", "orders", "--count", "200", "--users", "20", "--skus", "30",
                                       "--seed", "5", "--prefix", prefix])
    assert result.exit_code == 0, result.output
    decode = SchemaRegistry(kafka_stack.registry_url).deserializer("OrderPlaced").decode
    copies: dict[bytes, list] = {}
    for message in read_all(kafka_stack, "orders", prefix):
        record = decode(message.value())
        del record["occurredAt"]  # stamped at send time
        copies.setdefault(message.key(), []).append((message.partition(), record))
    assert len(copies) == 200
    for key, ((p1, r1), (p2, r2)) in copies.items():
        assert p1 == p2, key
        assert r1 == r2, key


@pytest.mark.parametrize("args, topic, key", [
    (["produce", "stock", "--skus", "7", "--quantity", "40"], "stock", "sku-"),
    (["produce", "deposits", "--users", "9", "--amount", "15.5"], "deposits", "user-"),
])
def test_seeds_one_event_per_sku_or_user(kafka_stack, args, topic, key):
    namespace = f"test-{uuid.uuid4().hex[:8]}-"
    result = CliRunner().invoke(main, [*args, "--namespace", namespace])
    assert result.exit_code == 0, result.output
    messages = read_all(kafka_stack, topic, namespace + key)
    assert len(messages) == (7 if topic == "stock" else 9)
    record = "StockReplenished" if topic == "stock" else "FundsDeposited"
    decode = SchemaRegistry(kafka_stack.registry_url).deserializer(record).decode
    values = [decode(m.value()) for m in messages]
    if topic == "stock":
        assert {v["quantity"] for v in values} == {40}
    else:
        assert {str(v["amount"]) for v in values} == {"15.50"}
