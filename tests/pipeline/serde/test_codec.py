"""Encoding and decoding against confluent-kafka's in-memory mock registry."""
from __future__ import annotations

import struct
from datetime import UTC, datetime

import pytest

from pipeline.models import MODELS, OrderPlaced, OrderSagaEvent
from pipeline.models.examples import example, order
from pipeline.serde import (
    BodyDecodeError,
    EncodeError,
    NotWireFormatError,
    SchemaRegistry,
    TOPIC_RECORDS,
    UnknownSchemaError,
    schemas,
    topic_of,
)
from pipeline.serde.codec import Serializer, frame


@pytest.fixture
def registry():
    return SchemaRegistry("mock://unit")


def v1_serializer(registry, topic="orders"):
    return Serializer(registry, f"{topic}-value", schemas.versions("OrderPlaced")[0], topic=topic)


@pytest.mark.parametrize("record", sorted(MODELS))
def test_every_record_round_trips(registry, record):
    model = example(record)
    data = registry.serializer(topic_of(record), record).encode(model)
    decoded = registry.deserializer(record, epoch_millis=model.epoch_millis).decode(data, topic_of(record), 0, 7)
    assert MODELS[record].from_avro(decoded) == model


def test_header_is_magic_byte_then_big_endian_id(registry):
    ser = registry.serializer("orders", "OrderPlaced")
    data = ser.encode(order())
    assert data[0] == 0
    assert struct.unpack(">I", data[1:5])[0] == ser.schema_id


def test_dict_and_model_encode_to_the_same_bytes(registry):
    ser = registry.serializer("orders", "OrderPlaced")
    model = order()
    assert ser.encode(model) == ser.encode(model.to_avro())


def test_v2_reader_reads_v1_data_with_promo_code_none(registry):
    v1 = v1_serializer(registry)
    record = order(promo_code=None).to_avro()
    del record["promoCode"]
    de = registry.deserializer("OrderPlaced")
    decoded = de.decode(v1.encode(record))
    assert decoded["promoCode"] is None
    assert decoded["orderId"] == "order-000123"
    assert de.needs_resolution(v1.schema_id)


def test_writer_equal_to_reader_skips_resolution(registry):
    ser = registry.serializer("orders", "OrderPlaced")
    ser.encode(order())
    assert not registry.deserializer("OrderPlaced").needs_resolution(ser.schema_id)


def test_v1_and_v2_have_distinct_ids_in_one_subject(registry):
    v1 = v1_serializer(registry)
    v2 = registry.serializer("orders", "OrderPlaced")
    assert v1.schema_id != v2.schema_id
    assert sorted(registry.client.get_versions("orders-value")) == [1, 2]


def test_schema_id_is_looked_up_once(registry, monkeypatch):
    ser = registry.serializer("orders", "OrderPlaced")
    ser.encode(order())
    monkeypatch.setattr(registry.client, "lookup_schema", _forbidden)
    monkeypatch.setattr(registry.client, "register_schema", _forbidden)
    ser.encode(order())
    registry.serializer("orders", "OrderPlaced").encode(order())


def test_writer_schema_is_fetched_once_per_id(registry, monkeypatch):
    data = registry.serializer("orders", "OrderPlaced").encode(order())
    de = registry.deserializer("OrderPlaced")
    de.decode(data)
    monkeypatch.setattr(registry.client, "get_schema", _forbidden)
    de.decode(data)
    registry.deserializer("OrderPlaced").decode(data)


def _forbidden(*args, **kwargs):
    raise AssertionError("the registry was asked again")


@pytest.mark.parametrize(
    "data, detail",
    [
        (b"", "0 bytes"),
        (None, "0 bytes"),
        (b"\x00\x00\x01", "3 bytes"),
        (b"\x01\x00\x00\x00\x01\x02ab", "magic byte is 0x01"),
        (b"not avro at all", "magic byte is 0x6e"),
    ],
)
def test_bytes_without_the_header_raise_not_wire_format(registry, data, detail):
    with pytest.raises(NotWireFormatError) as caught:
        registry.deserializer("OrderPlaced").decode(data, "orders", 2, 41)
    assert caught.value.reason == "not-wire-format"
    assert detail in str(caught.value)
    assert "topic=orders partition=2 offset=41" in str(caught.value)


def test_unknown_schema_id_raises_unknown_schema(registry):
    with pytest.raises(UnknownSchemaError) as caught:
        registry.deserializer("OrderPlaced").decode(frame(987654) + b"\x02a", "orders", 0, 5)
    assert caught.value.reason == "unknown-schema-id"
    assert "schema id 987654" in str(caught.value)
    assert "topic=orders partition=0 offset=5" in str(caught.value)


@pytest.mark.parametrize("mangle", [lambda b: b[:-6], lambda b: b[:5] + b"\xff" * 12, lambda b: b + b"\x00\x00"])
def test_a_body_that_does_not_decode_raises_body_decode(registry, mangle):
    data = registry.serializer("orders", "OrderPlaced").encode(order())
    with pytest.raises(BodyDecodeError) as caught:
        registry.deserializer("OrderPlaced").decode(mangle(data), "orders", 1, 9)
    assert caught.value.reason == "undecodable-body"
    assert "topic=orders partition=1 offset=9" in str(caught.value)


def test_record_of_another_type_is_an_undecodable_body(registry):
    data = registry.serializer("stock", "StockReplenished").encode(example("StockReplenished"))
    with pytest.raises(BodyDecodeError, match="does not decode as OrderPlaced"):
        registry.deserializer("OrderPlaced").decode(data, "orders", 0, 0)


def test_a_value_that_does_not_fit_raises_encode_error_naming_the_subject(registry):
    bad = order()
    bad.total = "twelve"
    with pytest.raises(EncodeError, match="OrderPlaced v2 for subject orders-value"):
        registry.serializer("orders", "OrderPlaced").encode(bad)


def test_every_topic_record_pair_builds_a_serializer(registry):
    for topic, record in TOPIC_RECORDS.items():
        assert registry.serializer(topic, record).subject == f"{topic}-value"


def test_decoded_model_keeps_logical_types(registry):
    model = order()
    data = registry.serializer("orders", "OrderPlaced").encode(model)
    decoded = OrderPlaced.from_avro(registry.deserializer("OrderPlaced").decode(data))
    assert decoded.total == model.total and decoded.total.as_tuple().exponent == -2
    assert decoded.occurredAt == model.occurredAt and decoded.occurredAt.tzinfo is not None


def test_epoch_millis_reads_the_same_bytes_as_ints(registry):
    event = example("OrderSagaEvent")
    as_datetime = OrderSagaEvent(**{**event.to_avro(), "occurredAt": datetime.fromtimestamp(event.occurredAt / 1000, UTC)})
    ser = registry.serializer("orderflow-order-events", "OrderSagaEvent")
    data = ser.encode(event)
    assert data == ser.encode(as_datetime)  # an int is written as the timestamp-millis long it is
    assert registry.deserializer("OrderSagaEvent").decode(data)["occurredAt"] == as_datetime.occurredAt
    millis = registry.deserializer("OrderSagaEvent", epoch_millis=True)
    assert millis.decode(data)["occurredAt"] == event.occurredAt
    assert not millis.needs_resolution(ser.schema_id)


def test_epoch_millis_reads_an_older_writer_as_ints_too(registry):
    v1 = v1_serializer(registry)
    record = order().to_avro()
    del record["promoCode"]
    decoded = registry.deserializer("OrderPlaced", epoch_millis=True).decode(v1.encode(record))
    assert decoded["occurredAt"] == int(record["occurredAt"].timestamp() * 1000)
    assert decoded["promoCode"] is None and decoded["total"] == record["total"]
