"""The Faust schema: typed values, string keys, Poison instead of dropped messages."""
from __future__ import annotations

import faust
import pytest
from faust.types.tuples import Message

from pipeline.models import OrderPlaced
from pipeline.models.examples import order
from pipeline.serde import NotWireFormatError, Poison, RegistryUnavailableError, SchemaRegistry, bundle
from pipeline.serde.codec import frame
from pipeline.serde.faust import AvroSchema


@pytest.fixture
def registry():
    return SchemaRegistry("mock://faust", retry_for=0.05, backoff_initial=0.001, backoff_max=0.01)


@pytest.fixture
def app():
    return faust.App("serde-unit", broker="memory://", store="memory://")


@pytest.fixture
def schema(registry):
    return AvroSchema(registry, "OrderPlaced", OrderPlaced)


def message(value, key=b"order-000123", offset=12):
    return Message("orders", 4, offset, 0.0, 0, [("trace", b"1")], key, value, None)


async def test_compiled_decoder_yields_a_model_and_a_str_key(app, schema):
    model = order()
    event = await schema.compile(app)(message(schema.serializer.encode(model)))
    assert event.key == "order-000123"
    assert event.value == model and isinstance(event.value, OrderPlaced)


async def test_garbage_becomes_poison_with_the_original_bytes(app, schema):
    event = await schema.compile(app)(message(b"\x07garbage", offset=77))
    poison = event.value
    assert isinstance(poison, Poison) and isinstance(poison.error, NotWireFormatError)
    assert (poison.topic, poison.partition, poison.offset) == ("orders", 4, 77)
    assert (poison.key, poison.value) == (b"order-000123", b"\x07garbage")
    assert dict(poison.dlq_headers())["dlq.reason"] == b"not-wire-format"
    assert poison.dlq_topic == "orders.dlq"


async def test_unknown_schema_id_becomes_poison(app, schema):
    event = await schema.compile(app)(message(frame(424242) + b"\x00"))
    assert event.value.reason == "unknown-schema-id"


async def test_a_key_that_is_not_utf8_becomes_poison(app, schema):
    event = await schema.compile(app)(message(schema.serializer.encode(order()), key=b"\xff\xfe"))
    assert event.value.reason == "undecodable-key" and event.value.key == b"\xff\xfe"


def test_loads_value_raises_instead_of_poisoning_when_the_registry_is_down(app, registry):
    data = AvroSchema(registry, "OrderPlaced", OrderPlaced).serializer.encode(order())
    fresh = SchemaRegistry("mock://faust-down", retry_for=0.02, backoff_initial=0.001, backoff_max=0.005)
    fresh.client.get_schema = _refused
    with pytest.raises(RegistryUnavailableError):
        AvroSchema(fresh, "OrderPlaced", OrderPlaced).loads_value(app, message(data))


def _refused(*args, **kwargs):
    from confluent_kafka.schema_registry.common._httpx_compat import httpx

    raise httpx.ConnectError("connection refused")


def test_dumps_encodes_models_and_keys(app, schema):
    model = order()
    value, headers = schema.dumps_value(app, model, headers={})
    key, _ = schema.dumps_key(app, "order-000123", headers={})
    assert key == b"order-000123"
    assert OrderPlaced.from_avro(schema.deserializer.decode(value)) == model


def test_values_go_to_the_topic_of_the_record_unless_told(registry):
    assert AvroSchema(registry, "OrderPlaced", OrderPlaced).serializer.subject == "orders-value"
    other = AvroSchema(registry, "OrderPlaced", OrderPlaced, topic="orders-replay")
    assert other.serializer.subject == "orders-replay-value"


async def test_a_faust_topic_uses_the_schema(app, schema):
    topic = app.topic("orders", schema=schema)
    event = await topic.decode(message(schema.serializer.encode(order())), propagate=True)
    assert isinstance(event.value, OrderPlaced)


def bundled(app, events, offset=30):
    """A bundle record fetched in the app's current generation, its flow running (as a worker's)."""
    app.flow_control.resume()
    return Message("orderflow-stock-commands", 2, offset, 0.0, 0, [(bundle.HEADER, bundle.VERSION)],
                   events[0][0], bundle.pack(events), None, generation_id=app.consumer_generation_id)


async def test_a_bundle_yields_its_events_in_order_and_poison_for_the_bad_one(app, schema):
    first, last = order(), order()
    events = [(b"o-1", schema.serializer.encode(first)), (b"o-2", b"\x07garbage"),
              (b"o-3", schema.serializer.encode(last))]
    event = await schema.compile(app)(bundled(app, events))
    assert isinstance(event.value, bundle.Bundle) and len(event.value) == 3
    decoded = [value async for value in event.value]
    assert decoded[0] == first and decoded[2] == last
    poison = decoded[1]
    assert isinstance(poison, Poison) and poison.reason == "not-wire-format"
    assert (poison.key, poison.value) == (b"o-2", b"\x07garbage")
    assert (poison.topic, poison.partition, poison.offset) == ("orderflow-stock-commands", 2, 30)


async def test_a_bundle_with_broken_framing_is_one_poison_with_the_whole_record(app, schema):
    data = bundle.pack([(b"o-1", schema.serializer.encode(order()))])[:-3]
    message_ = Message("orderflow-stock-commands", 2, 31, 0.0, 0, [(bundle.HEADER, bundle.VERSION)],
                       b"o-1", data, None)
    event = await schema.compile(app)(message_)
    assert isinstance(event.value, Poison) and event.value.value == data
    assert event.value.reason == "not-wire-format"


async def test_a_bundle_ends_where_a_rebalance_came_while_a_writer_schema_was_fetched(app, schema, registry):
    """The rest of its record is consumed again in the new generation; decoding it here would
    attach its outputs and table writes to the new generation's transaction a second time."""
    first, second, third = order(), order(), order()
    events = [(b"o-1", schema.serializer.encode(first)), (b"o-2", schema.serializer.encode(second)),
              (b"o-3", schema.serializer.encode(third))]
    event = await schema.compile(app)(bundled(app, events))
    fetches = []
    get_schema = registry.client.get_schema

    def fetched_across_a_rebalance(schema_id, *args, **kwargs):
        fetches.append(schema_id)
        app.consumer_generation_id += 1
        return get_schema(schema_id, *args, **kwargs)

    decoded = []
    async for value in event.value:
        decoded.append(value)
        # The next event's writer schema is not known yet: the agent waits for the registry.
        schema.deserializer._plans.clear()
        registry._writers.clear()
        registry.client.get_schema = fetched_across_a_rebalance
    assert decoded == [first] and len(fetches) == 1


async def test_a_bundle_ends_where_a_rebalance_came_between_its_events(app, schema):
    """Between two events the agent awaits its sends; a rebalance can come then, with every
    writer schema cached."""
    first, second = order(), order()
    events = [(b"o-1", schema.serializer.encode(first)), (b"o-2", schema.serializer.encode(second))]
    event = await schema.compile(app)(bundled(app, events))
    decoded = []
    async for value in event.value:
        decoded.append(value)
        app.consumer_generation_id += 1
    assert decoded == [first]
