"""Schema registry access with caching and patience.

A thin layer over confluent-kafka's :class:`SchemaRegistryClient` that

* caches parsed writer schemas by id and registered ids by (subject, schema),
  so the hot path never talks HTTP after the first record of a schema;
* retries with capped exponential backoff while the registry is unreachable
  (connection refused, timeout, 408/429/5xx), so a registry restart delays
  records instead of dead-lettering them;
* turns registry answers into the typed errors of :mod:`pipeline.serde.errors`.

The client's own retry loop is switched off (``max.retries`` 0): the backoff
here is the only one, so its deadline means what it says.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import random
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
# The client raises the TransportError of whichever of httpx2/httpx it loaded;
# its compat module is the only place that says which.
from confluent_kafka.schema_registry.common._httpx_compat import httpx
from confluent_kafka.schema_registry.error import SchemaRegistryError

from pipeline.serde import schemas
from pipeline.serde.errors import RegistryError, RegistryUnavailableError, UnknownSchemaError
from pipeline.serde.subjects import value_subject

if TYPE_CHECKING:
    from pipeline.serde.codec import Deserializer, Serializer

log = logging.getLogger(__name__)
T = TypeVar("T")

#: HTTP statuses that mean "the registry is not able to answer right now".
UNAVAILABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def is_unavailable(exc: BaseException) -> bool:
    """True for failures that say nothing about the request, only about the registry."""
    if isinstance(exc, SchemaRegistryError):
        return exc.http_status_code in UNAVAILABLE_STATUSES
    if isinstance(exc, httpx.UnsupportedProtocol):  # a wrong URL, not an outage
        return False
    return isinstance(exc, (httpx.TransportError, ConnectionError, TimeoutError))


def backoff(initial: float, maximum: float) -> Iterator[float]:
    """Exponential delays with full jitter, capped at ``maximum`` seconds."""
    for attempt in itertools.count():
        yield random.uniform(initial, min(maximum, initial * 2**attempt))


class SchemaRegistry:
    """The pipeline's view of the registry: ids, writer schemas, serializers.

    ``retry_for`` bounds how long a *synchronous* call waits for an unreachable
    registry before raising :class:`RegistryUnavailableError`; the asynchronous
    path used by Faust agents (:meth:`writer_schema_async`) waits forever.
    """

    def __init__(
        self,
        url: str,
        *,
        client: SchemaRegistryClient | None = None,
        retry_for: float = 60.0,
        backoff_initial: float = 0.1,
        backoff_max: float = 5.0,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.client = client or SchemaRegistryClient.new_client(
            {"url": url, "max.retries": 0, "timeout": timeout}
        )
        self.retry_for = retry_for
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self._writers: dict[int, dict] = {}
        self._ids: dict[tuple[str, str], int] = {}

    def __repr__(self) -> str:
        return f"SchemaRegistry({self.url!r})"

    # -- retries -------------------------------------------------------------

    def call(self, what: str, fn: Callable[..., T], *args: Any, where: dict | None = None) -> T:
        """``fn(*args)``, retried while the registry is unreachable, for ``retry_for`` s.

        ``what`` describes the request for errors and logs; ``where`` (topic,
        partition, offset) names the record the call is made for, if any.
        """
        give_up = time.monotonic() + self.retry_for
        delays = backoff(self.backoff_initial, self.backoff_max)
        while True:
            try:
                return fn(*args)
            except Exception as exc:
                if not is_unavailable(exc):
                    raise
                delay = next(delays)
                if time.monotonic() + delay > give_up:
                    raise RegistryUnavailableError(
                        f"{what}: registry {self.url} unreachable for {self.retry_for:.0f}s: {exc}", **(where or {})
                    ) from exc
                log.warning("%s: registry %s unreachable (%s); retrying in %.1fs", what, self.url, exc, delay)
                time.sleep(delay)

    async def call_async(self, what: str, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker thread, retried for as long as the registry is unreachable.

        The event loop keeps running (heartbeats, other partitions) meanwhile.
        """
        delays = backoff(self.backoff_initial, self.backoff_max)
        while True:
            try:
                return await asyncio.to_thread(fn, *args)
            except Exception as exc:
                if not is_unavailable(exc):
                    raise
                delay = next(delays)
                log.warning("%s: registry %s unreachable (%s); retrying in %.1fs", what, self.url, exc, delay)
                await asyncio.sleep(delay)

    # -- reading: writer schemas by id ----------------------------------------

    def writer_schema(
        self, schema_id: int, *, topic: str | None = None, partition: int | None = None, offset: int | None = None
    ) -> dict:
        """The parsed writer schema of ``schema_id`` (cached forever: ids are immutable)."""
        cached = self._writers.get(schema_id)
        if cached is not None:
            return cached
        where = {"topic": topic, "partition": partition, "offset": offset}
        try:
            found = self.call(f"schema id {schema_id}", self.client.get_schema, schema_id, where=where)
        except SchemaRegistryError as exc:
            raise self._lookup_error(schema_id, exc, where) from exc
        return self._store(schema_id, found)

    async def writer_schema_async(
        self, schema_id: int, *, topic: str | None = None, partition: int | None = None, offset: int | None = None
    ) -> dict:
        """Like :meth:`writer_schema`, without blocking the loop and without a deadline."""
        cached = self._writers.get(schema_id)
        if cached is not None:
            return cached
        try:
            found = await self.call_async(f"schema id {schema_id}", self.client.get_schema, schema_id)
        except SchemaRegistryError as exc:
            raise self._lookup_error(schema_id, exc, {"topic": topic, "partition": partition, "offset": offset}) from exc
        return self._store(schema_id, found)

    def _lookup_error(self, schema_id: int, exc: SchemaRegistryError, where: dict) -> Exception:
        if exc.http_status_code == 404:
            return UnknownSchemaError(f"schema id {schema_id} is not in registry {self.url}", **where)
        return RegistryError(f"looking up schema id {schema_id} in {self.url}: {exc}")

    def _store(self, schema_id: int, found: Schema) -> dict:
        if found.schema_type not in (None, "AVRO"):
            raise RegistryError(f"schema id {schema_id} is {found.schema_type}, not AVRO")
        parsed = schemas.parse_text(found.schema_str)
        self._writers[schema_id] = parsed
        return parsed

    # -- writing: ids by subject ----------------------------------------------

    def schema_id(self, subject: str, version: schemas.SchemaVersion, *, register: bool = True) -> int:
        """The id of ``version`` under ``subject``: looked up, else registered; cached."""
        key = (subject, version.text)
        try:
            return self._ids[key]
        except KeyError:
            pass
        schema = Schema(version.text, "AVRO")
        what = f"subject {subject} {version.label}"
        try:
            found = self.call(f"looking up {what}", self.client.lookup_schema, subject, schema).schema_id
        except SchemaRegistryError as exc:
            if exc.http_status_code != 404 or not register:
                raise RegistryError(f"looking up {what}: {exc}") from exc
            found = self.register(subject, version)
        self._ids[key] = found
        return found

    def register(self, subject: str, version: schemas.SchemaVersion) -> int:
        """Register ``version`` under ``subject`` (a no-op if it is already there); its id."""
        what = f"registering {version.label} under subject {subject}"
        try:
            found = self.call(what, self.client.register_schema, subject, Schema(version.text, "AVRO"))
        except SchemaRegistryError as exc:
            raise RegistryError(f"{what}: {exc}") from exc
        self._ids[(subject, version.text)] = found
        return found

    # -- codecs ---------------------------------------------------------------

    def serializer(self, topic: str, record: str) -> Serializer:
        """An encoder of ``record`` (newest version) for ``topic``'s values."""
        from pipeline.serde.codec import Serializer

        return Serializer(self, value_subject(topic), schemas.latest(record), topic=topic)

    def deserializer(self, record: str, *, epoch_millis: bool = False) -> Deserializer:
        """A decoder of any registered writer version into ``record``'s newest version
        (timestamps as epoch milliseconds with ``epoch_millis``)."""
        from pipeline.serde.codec import Deserializer

        return Deserializer(self, schemas.latest(record), epoch_millis=epoch_millis)

