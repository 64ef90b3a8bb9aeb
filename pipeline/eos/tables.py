"""A Faust table whose changelog writes join the source event's transaction.

Its local writes wait in a :class:`~pipeline.eos.buffer.BufferedStore` until
that transaction commits.

Faust sends changelog records with ``changelog_topic.send_soon``, which goes
to the app's plain producer buffer, not to a transactional producer: under
``exactly_once`` a table update can be committed to the changelog while the
offset of the event that caused it is not (or the reverse), and the restored
table then disagrees with the replayed input (upstream faust-streaming #177).
Here a write goes to the store's buffer, tagged with the current event; the
commit that takes that event's outputs publishes the last buffered write of
each key as the changelog record, in the same transaction as the event's
outputs and offset (see :mod:`pipeline.eos.transport`), and applies the
writes to RocksDB once it has committed.
"""
from __future__ import annotations

from typing import Any, Optional, Union

import faust
from faust.streams import current_event
from faust.types import TP, CodecArg
from mode.utils.objects import cached_property
from yarl import URL

from pipeline.eos.attachments import Record
from pipeline.eos.buffer import BufferedStore


class TransactionalTable(faust.Table):
    """A :class:`faust.Table` with transactional changelog writes.

    It also takes ``key_serializer`` and ``value_serializer`` codec names:
    Faust derives them from the key and value types only, and falls back to
    JSON, where a table of counters wants a fixed-width binary codec.
    """

    def __init__(
        self,
        app: Any,
        *,
        key_serializer: Optional[CodecArg] = None,
        value_serializer: Optional[CodecArg] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(app, **kwargs)
        self.key_serializer = key_serializer or self.key_serializer
        self.value_serializer = value_serializer or self.value_serializer
        self._expiring = self._should_expire_keys()
        #: Whether this table's changelog records are its store's buffered writes.
        #:
        #: They are for a table written on the partition of the event that
        #: writes it: a commit publishes the last write of each key that its
        #: transaction's events buffered (:meth:`pipeline.eos.buffer.BufferedStore.changelog`),
        #: and nothing is attached per write. Windowed tables (keys that expire)
        #: and tables that partition by key attach a record per write, through
        #: Faust's path. (A plain attribute: it is read at every write, and
        #: mode's ``cached_property`` runs Python code at every read.)
        self.changelog_from_store = not (self._expiring or self.use_partitioner)

    def _new_store_by_url(self, url: Union[str, URL]) -> BufferedStore:
        return BufferedStore(
            url,
            self.app,
            self,
            table_name=self.name,
            key_type=self.key_type,
            key_serializer=self.key_serializer,
            value_serializer=self.value_serializer,
            value_type=self.value_type,
            loop=self.loop,
            options=self.options,
        )

    def get(self, key: Any, default: Any = None) -> Any:
        """The value of ``key``, or ``default``, in one store read.

        A Faust table inherits ``Mapping.get``, which reads the store twice
        for a key it holds (``key in data``, then ``data[key]``: two buffer
        and RocksDB look-ups, and two key encodings). Tables with a default
        factory keep Faust's path, which creates the missing value.
        """
        if self.default is not None:
            return super().get(key, default)
        self.on_key_get(key)
        return self.data.lookup(key, default)

    def __setitem__(self, key: Any, value: Any) -> None:
        """Write ``key`` to the store's buffer, its key and value encoded once.

        Faust's path (``ManagedUserDict.__setitem__``: ``on_key_set``, then the
        store's ``__setitem__``) encodes both twice, through the changelog
        channel's serializers and again for the store, and builds the
        changelog record through ``Channel.as_future_message``, for every table
        write of every saga step. The buffered write is the changelog record
        (:attr:`changelog_from_store`); tables that are not written so keep Faust's path.
        """
        if not self.changelog_from_store:
            return super().__setitem__(key, value)
        store = self.data
        store._set(store._encode_key(key), store._encode_value(value))
        self._sensor_on_set(self, key, value)

    def __delitem__(self, key: Any) -> None:
        """Delete ``key`` in the store's buffer (Faust's path attaches a changelog record too)."""
        if not self.changelog_from_store:
            return super().__delitem__(key)
        del self.data[key]
        self._sensor_on_del(self, key)

    def send_changelog(
        self,
        partition: Optional[int],
        key: Any,
        value: Any,
        key_serializer: Optional[CodecArg] = None,
        value_serializer: Optional[CodecArg] = None,
    ) -> Record:
        """The changelog record of a write through Faust's path, attached to the current event."""
        serializers = self.app.serializers
        key_bytes = serializers.dumps_key(self.key_type, key, serializer=key_serializer or self.key_serializer)
        value_bytes = None if value is None else serializers.dumps_value(
            self.value_type, value, serializer=value_serializer or self.value_serializer)
        return self._attach_changelog(partition, key_bytes, value_bytes)

    def _attach_changelog(self, partition: Optional[int], key: bytes, value: Optional[bytes]) -> Record:
        """The changelog record of a write, attached to the current event (its transaction)."""
        event = current_event()
        if event is None:
            raise RuntimeError(f"table {self.name!r} modified outside of an agent's event")
        message = event.message
        if partition is None and not self.use_partitioner:
            partition = message.partition
        return self.app._attachments.put_changelog(message, self, key, value, partition)

    @cached_property
    def changelog_name(self) -> str:
        """Faust's ``changelog_topic_name``, looked up once: it is asked for every table write."""
        return self.changelog_topic.get_topic_name()

    def on_changelog_delivered(self, tp: TP, offset: int) -> None:
        """The last of this table's changelog records in a delivered batch is at ``offset`` of ``tp``.

        What Faust's ``_on_changelog_sent`` does per record under
        ``exactly_once``: the offset is persisted with the store once the
        transaction commits (:mod:`pipeline.eos.manager`).
        """
        self.app.tables.persist_offset_on_commit(self.data, tp, offset)
