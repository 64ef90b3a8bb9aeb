"""Avro in the Confluent wire format, with a cached registry and typed errors.

    registry = SchemaRegistry(url)
    ser = registry.serializer("order-outcomes", "OrderOutcome")
    ser.encode(outcome)            # -> 0x00 + schema id + Avro body
    de = registry.deserializer("OrderPlaced")
    de.decode(data, topic, partition, offset)   # -> dict shaped by OrderPlaced v2

Faust agents use :class:`pipeline.serde.faust.AvroSchema` instead, which
yields :mod:`pipeline.models` instances or :class:`Poison`.
"""
from pipeline.serde.codec import Deserializer, Serializer
from pipeline.serde.errors import (
    BodyDecodeError,
    EncodeError,
    KeyDecodeError,
    NotWireFormatError,
    RegistryError,
    RegistryUnavailableError,
    SerdeError,
    UnknownSchemaError,
)
from pipeline.serde.poison import Poison
from pipeline.serde.registry import SchemaRegistry
from pipeline.serde.subjects import TOPIC_RECORDS, topic_of, value_subject

__all__ = [
    "BodyDecodeError", "Deserializer", "EncodeError", "KeyDecodeError", "NotWireFormatError", "Poison",
    "RegistryError", "RegistryUnavailableError", "SchemaRegistry", "SerdeError", "Serializer",
    "TOPIC_RECORDS", "UnknownSchemaError", "topic_of", "value_subject",
]
