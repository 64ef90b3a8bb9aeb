"""Faust integration: a :class:`faust.Schema` that speaks the Confluent wire format.

    orders_topic = app.topic("orders", schema=AvroSchema(registry, "OrderPlaced", OrderPlaced))

Agents then receive ``str`` keys and :mod:`pipeline.models` instances, or a
:class:`~pipeline.serde.poison.Poison` for bytes that can never decode.

Two places where Faust's stock Schema falls short, and what this one does:

* ``Schema.compile`` drops a message whose value fails to decode (the default
  ``on_value_decode_error`` is a no-op), but the contract forbids dropping:
  here decode failures become a Poison value the agent dead-letters.
* ``loads_value`` is synchronous, so a registry lookup inside it would block
  the event loop (and with it heartbeats) for as long as the registry is down.
  The compiled decoder first awaits :meth:`Deserializer.prepare`, which fetches
  unknown writer schemas in a thread and retries for as long as it takes; the
  synchronous decode that follows always hits the cache.

A bundle record (:mod:`pipeline.serde.bundle`) decodes to a
:class:`~pipeline.serde.bundle.Bundle` of its events, each a model or a
Poison of its own. Its events are decoded as the agent takes them, within
the Faust event of the record, so the fetch of an unknown writer schema
suspends the agent in the middle of that event, for as long as the registry
takes; a rebalance can come meanwhile. The events that follow are then not
decoded at all (the bundle ends): the record belongs to a generation whose
work is being abandoned, and the outputs and table writes of its remaining
events would otherwise join the attachments of the next one, next to those
of the same record consumed again.
"""
from __future__ import annotations

from functools import partial
from typing import Any

import faust
from faust.types import AppT, Message

from pipeline.models import AvroModel
from pipeline.serde import bundle
from pipeline.serde.errors import KeyDecodeError, SerdeError
from pipeline.serde.poison import Poison
from pipeline.serde.registry import SchemaRegistry
from pipeline.serde.subjects import topic_of


class AvroSchema(faust.Schema):
    """Keys: UTF-8 strings. Values: ``model`` instances read into ``record``'s newest schema.

    Values are written with the serializer of ``topic`` (default: the topic
    that :data:`pipeline.serde.subjects.TOPIC_RECORDS` maps ``record`` to);
    Faust's ``dumps_value`` is not told the topic it writes to.
    """

    def __init__(self, registry: SchemaRegistry, record: str, model: type[AvroModel], *,
                 topic: str | None = None) -> None:
        self.registry = registry
        self.record = record
        self.model = model
        self.topic = topic or topic_of(record)
        self.deserializer = registry.deserializer(record, epoch_millis=model.epoch_millis)
        self.serializer = registry.serializer(self.topic, record)
        super().__init__(key_type=str, value_type=model, key_serializer="raw", value_serializer="raw")

    def __repr__(self) -> str:
        return f"<AvroSchema {self.record} on {self.topic}: {self.model.__name__}>"

    # -- keys ---------------------------------------------------------------

    def loads_key(self, app: AppT, message: Message, *, loads: Any = None, serializer: Any = None) -> str | None:
        key = message.key
        if key is None:
            return None
        try:
            return key.decode() if isinstance(key, (bytes, bytearray, memoryview)) else str(key)
        except UnicodeDecodeError as exc:
            raise KeyDecodeError(
                f"key is not UTF-8: {exc}", topic=message.topic, partition=message.partition, offset=message.offset
            ) from exc

    def dumps_key(self, app: AppT, key: Any, *, serializer: Any = None, headers: Any) -> tuple[Any, Any]:
        if isinstance(key, str):
            key = key.encode()
        return key, headers

    # -- values -------------------------------------------------------------

    def loads_value(self, app: AppT, message: Message, *, loads: Any = None, serializer: Any = None) -> Any:
        """The model instance, or Poison; RegistryUnavailableError propagates (retry, never DLQ)."""
        try:
            record = self.deserializer.decode(message.value, message.topic, message.partition, message.offset)
        except SerdeError as exc:
            if exc.retriable:
                raise
            return self.poison(exc, message)
        return self.model.from_avro(record)

    def dumps_value(self, app: AppT, value: Any, *, serializer: Any = None, headers: Any) -> tuple[Any, Any]:
        return self.serializer.encode(value), headers

    def loads_bundle(self, app: AppT, message: Message) -> Any:
        """A bundle's events, decoded as they are taken, or one Poison if its framing is broken."""
        try:
            size = bundle.count(message.value, message.topic, message.partition, message.offset)
        except SerdeError as exc:
            return self.poison(exc, message)
        return bundle.Bundle(message.value, size, partial(self._loads_bundled, app, message))

    async def _loads_bundled(self, app: AppT, message: Message, key: bytes | None, value: bytes) -> Any:
        """One event of the bundle ``message``: its model, Poison with its own bytes, or
        :data:`~pipeline.serde.bundle.ABANDONED` once a rebalance came while its writer schema was fetched."""
        topic, partition, offset = message.topic, message.partition, message.offset
        try:
            await self.deserializer.prepare(value, topic, partition, offset)
            if message.generation_id != app.consumer_generation_id or not app.flow_control.is_active():
                return bundle.ABANDONED
            return self.model.from_avro(self.deserializer.decode(value, topic, partition, offset))
        except SerdeError as exc:
            if exc.retriable:
                raise
            return Poison(exc, topic, partition, offset, key, value)

    @staticmethod
    def poison(error: SerdeError, message: Message) -> Poison:
        return Poison(error, message.topic, message.partition, message.offset,
                      message.key, message.value, message.headers)

    # -- the decoder Faust calls for every message -------------------------

    def compile(self, app: AppT, *, on_key_decode_error: Any = None, on_value_decode_error: Any = None,
                default_propagate: bool = False) -> Any:
        create_event = app.create_event
        prepare = self.deserializer.prepare
        loads_key = self.loads_key
        loads_value = self.loads_value
        loads_bundle = self.loads_bundle
        poison = self.poison

        async def decode(message: Message, *, propagate: bool = default_propagate) -> Any:
            try:
                key = loads_key(app, message)
                if bundle.is_bundle(message.headers):
                    return create_event(key, loads_bundle(app, message), message.headers, message)
                await prepare(message.value, message.topic, message.partition, message.offset)
            except SerdeError as exc:
                return create_event(None, poison(exc, message), message.headers, message)
            return create_event(key, loads_value(app, message), message.headers, message)

        return decode
