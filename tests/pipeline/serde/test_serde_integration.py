"""The serde against the real registry and broker of the session's stack.

Records go to topics of their own (``serde-it-<uuid>``), so nothing here is
read by the saga, but they are written with the ids of the real subjects
(``orders-value``...), registered by ``register_all`` as in production.
"""
from __future__ import annotations

import re
import uuid

import pytest
from click.testing import CliRunner
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from pipeline.cli.schemas import command as schemas_command
from pipeline.models import MODELS, OrderPlaced
from pipeline.models.examples import example, order
from pipeline.serde import (
    BodyDecodeError,
    NotWireFormatError,
    RegistryError,
    SchemaRegistry,
    TOPIC_RECORDS,
    UnknownSchemaError,
    schemas,
    value_subject,
)
from pipeline.serde.admin import check, describe, register_all
from pipeline.serde.codec import Serializer, frame
from pipeline.serde.demo import read_topic

BREAKING = schemas.SCHEMA_DIR / "examples" / "OrderPlaced.v3-breaking.avsc"


@pytest.fixture(scope="module")
def registry(kafka_stack):
    registry = SchemaRegistry(kafka_stack.registry_url)
    register_all(registry)
    return registry


@pytest.fixture
def topic(kafka_stack):
    """A fresh one-partition topic."""
    name = f"serde-it-{uuid.uuid4().hex[:12]}"
    admin = AdminClient({"bootstrap.servers": kafka_stack.bootstrap_servers})
    admin.create_topics([NewTopic(name, 1, 1)])[name].result(30)
    yield name
    admin.delete_topics([name])[name].result(30)


def produce(settings, topic: str, values: list[bytes]) -> None:
    producer = Producer({"bootstrap.servers": settings.bootstrap_servers, "enable.idempotence": True})
    for n, value in enumerate(values):
        producer.produce(topic, key=f"key-{n}".encode(), value=value)
    assert producer.flush(30) == 0


def consume(settings, topic: str, count: int) -> list:
    return read_topic(settings.bootstrap_servers, topic, count)


def test_register_is_idempotent_and_orders_value_has_v1_then_v2(registry):
    again = register_all(registry)
    rows = describe(registry, "orders-value")
    assert [(row.version, row.fields) for row in rows] == [(1, 7), (2, 8)]
    assert [row.schema_id for row in rows] == [r.schema_id for r in again if r.subject == "orders-value"]
    assert {row.compatibility for row in rows} == {"BACKWARD"}
    assert {value_subject(t) for t in TOPIC_RECORDS} <= {row.subject for row in describe(registry)}


def test_schema_ids_from_register_resolve_by_id(registry):
    for row in describe(registry):
        if row.subject in {value_subject(t) for t in TOPIC_RECORDS}:
            assert registry.client.get_schema(row.schema_id).schema_str


@pytest.mark.parametrize("record", sorted(MODELS))
def test_every_schema_round_trips_through_broker_and_registry(kafka_stack, registry, topic, record):
    model = example(record)
    real_topic = next(t for t, r in TOPIC_RECORDS.items() if r == record)
    ser = Serializer(registry, value_subject(real_topic), schemas.latest(record), topic=topic)
    produce(kafka_stack, topic, [ser.encode(model)])
    [message] = consume(kafka_stack, topic, 1)
    fresh = SchemaRegistry(kafka_stack.registry_url)  # nothing cached: the id must resolve
    decoded = fresh.deserializer(record, epoch_millis=model.epoch_millis).decode(
        message.value(), topic, message.partition(), message.offset())
    assert MODELS[record].from_avro(decoded) == model
    assert not fresh.deserializer(record).needs_resolution(ser.schema_id)


def test_v1_and_v2_mixed_in_one_partition_are_read_in_order(kafka_stack, registry, topic):
    v1_version, v2_version = schemas.versions("OrderPlaced")
    v1 = Serializer(registry, "orders-value", v1_version, topic=topic)
    v2 = Serializer(registry, "orders-value", v2_version, topic=topic)
    written = []
    for n in range(6):
        model = order(f"mixed-{n}", promo_code=None if n % 2 == 0 else f"PROMO{n}")
        record = model.to_avro()
        if n % 2 == 0:
            del record["promoCode"]
            written.append(v1.encode(record))
        else:
            written.append(v2.encode(model))
    produce(kafka_stack, topic, written)
    de = SchemaRegistry(kafka_stack.registry_url).deserializer("OrderPlaced")
    read = [OrderPlaced.from_avro(de.decode(m.value(), topic, m.partition(), m.offset()))
            for m in consume(kafka_stack, topic, 6)]
    assert [o.orderId for o in read] == [f"mixed-{n}" for n in range(6)]
    assert [o.promoCode for o in read] == [None, "PROMO1", None, "PROMO3", None, "PROMO5"]
    assert de.needs_resolution(v1.schema_id) and not de.needs_resolution(v2.schema_id)


def test_breaking_v3_is_refused_naming_subject_and_field(registry):
    v3 = schemas.load(BREAKING)
    with pytest.raises(RegistryError) as refused:
        registry.register("orders-value", v3)
    assert "orders-value" in str(refused.value) and "channel" in str(refused.value)
    verdict = check(registry, "orders-value", v3)
    assert not verdict.compatible
    assert any("channel" in message for message in verdict.messages)
    assert [row.version for row in describe(registry, "orders-value")] == [1, 2]


def test_check_command_exit_status(kafka_stack, registry):
    runner = CliRunner()
    args = ["--subject", "orders-value", "--registry-url", kafka_stack.registry_url]
    bad = runner.invoke(schemas_command, ["check", str(BREAKING), *args])
    good = runner.invoke(schemas_command, ["check", str(schemas.latest("OrderPlaced").path), *args])
    assert bad.exit_code == 1 and "incompatible" in bad.output and "channel" in bad.output
    assert good.exit_code == 0 and "compatible" in good.output


def test_garbage_wrong_magic_and_unknown_id_raise_typed_errors(kafka_stack, registry, topic):
    good = registry.serializer("orders", "OrderPlaced").encode(order())
    unknown = max(row.schema_id for row in describe(registry)) + 1_000_000
    produce(kafka_stack, topic, [b"hello, not avro", b"\x01" + good[1:], frame(unknown) + good[5:],
                                 good[:-4], good])
    messages = consume(kafka_stack, topic, 5)
    de = SchemaRegistry(kafka_stack.registry_url).deserializer("OrderPlaced")
    expected = [NotWireFormatError, NotWireFormatError, UnknownSchemaError, BodyDecodeError]
    for message, error in zip(messages, expected):
        with pytest.raises(error) as caught:
            de.decode(message.value(), topic, message.partition(), message.offset())
        assert f"topic={topic} partition=0 offset={message.offset()}" in str(caught.value)
    assert de.decode(messages[-1].value(), topic, 0, 4)["orderId"] == "order-000123"


def test_register_and_list_commands(kafka_stack, registry):
    runner = CliRunner()
    url = ["--registry-url", kafka_stack.registry_url]
    registered = runner.invoke(schemas_command, ["register", *url], env={"COLUMNS": "200"})
    listed = runner.invoke(schemas_command, ["list", "--prefix", "orders-value", *url], env={"COLUMNS": "200"})
    assert registered.exit_code == 0 and "OrderPlaced.v1.avsc" in registered.output
    assert listed.exit_code == 0, listed.output
    assert [line.split()[3] for line in listed.output.splitlines() if "orders-value" in line and "│" in line] == ["1", "2"]


def test_evolve_demo_tells_the_story(kafka_stack, registry):
    result = CliRunner().invoke(schemas_command, ["evolve-demo", "--registry-url", kafka_stack.registry_url,
                                                  "--bootstrap-servers", kafka_stack.bootstrap_servers],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if re.search(r"│ demo-[12]-\d", line)]
    assert [("'" in row, "│ v1 " in row) for row in rows] == [(False, True)] * 3 + [(True, False)] * 3
    assert "refused" in result.output and "channel" in result.output
