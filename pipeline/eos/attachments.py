"""Attached messages, published in the order they were written.

Faust keeps the messages attached to source events in one heap per source
partition and publishes them partition by partition at commit. When two
partitions of one transaction write the same table key (say ``stock`` and
``stock-commands`` partition 3 both update sku X), the changelog can then
receive the later write first, and a table restored from it keeps the older
value: a reservation vanishes while its commit still arrives. Here every
attachment gets a sequence number, and a commit publishes the attachments of
all its partitions merged back into that order.

A changelog needs only the last value a transaction gives each key, so of
several writes of one table key in one commit only the last is published.
The tables of the saga attach nothing per write: their stores' buffered
writes are their changelog records (:meth:`pipeline.eos.buffer.BufferedStore.changelog`).
Tables written through Faust's path (windowed ones, those that partition by
key) attach a record per write here.

Attached messages wait in memory until a commit takes them, and the streams
go on processing while a round commits. Behind a backlog, a worker that
processed faster than it committed held 120,000 of them (~100 MiB) at once;
:attr:`OrderedAttachments.room` is cleared at :data:`MAX_PENDING`, and the
streams (:mod:`pipeline.eos.stream`) wait for the next commit to take them.
The table writes of those events wait in the stores' buffers meanwhile.
"""
from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict, deque
from typing import Any, Mapping, Optional, Union

from faust.app._attached import Attachments
from faust.types import TP, FutureMessage, Message

#: Attached messages held before the streams wait for a commit: ~850 saga orders
#: (~9.5 sends each: commands, replies, the payment request, the outcome).
MAX_PENDING = 8_000


class Record:
    """An encoded record attached to a source event, waiting for its transaction.

    An agent's output, or a table write's changelog record (``table`` is
    set). It is no Faust ``FutureMessage``: no one awaits an attached record
    (an output sent with a callback, which someone waits on, stays one), and
    what a changelog record's delivery must do, filing the changelog offset
    its table persists once the transaction commits, is done once per record
    batch (:meth:`pipeline.eos.tables.TransactionalTable.on_changelog_delivered`),
    not by a callback per record. Building a ``FutureMessage`` and a
    ``PendingMessage`` for each of the ~14 table writes of a saga order, and
    completing each with its own metadata, was ~6% of the worker.
    """

    __slots__ = ("topic", "partition", "key", "value", "headers", "timestamp", "table")

    def __init__(self, topic: str, partition: Optional[int], key: Optional[bytes], value: Optional[bytes],
                 headers: Any = None, timestamp: Optional[float] = None, table: Any = None) -> None:
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
        self.table = table

    @property
    def message(self) -> Record:
        """The record itself, where Faust reads a sent message's ``fut.message``."""
        return self


#: What a source event has attached: an output with a callback, or a record.
Attached = Union[FutureMessage, Record]


class OrderedAttachments(Attachments):
    """Per-partition queues of ``(offset, sequence, attached, changelog key)``."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self._pending: defaultdict[TP, deque] = defaultdict(deque)
        self._sequence = itertools.count()
        self._count = 0
        #: set while fewer than MAX_PENDING messages are attached
        self.room = asyncio.Event()
        self.room.set()

    def put(
        self,
        message: Message,
        channel: Any,
        key: Any,
        value: Any,
        partition: Optional[int] = None,
        timestamp: Optional[float] = None,
        headers: Any = None,
        schema: Any = None,
        key_serializer: Any = None,
        value_serializer: Any = None,
        callback: Any = None,
    ) -> Attached:
        """An output of the event of ``message``, encoded now, published when its offset commits."""
        chan = self.app.topic(channel) if isinstance(channel, str) else channel
        if callback is not None:
            fut = chan.as_future_message(
                key, value, partition, timestamp, headers, schema,
                key_serializer, value_serializer, callback,
            )
            self._append(message, fut, None)
            return fut
        # Faust's Channel.as_future_message, without the FutureMessage.
        open_headers = chan.prepare_headers(headers)
        key, open_headers = chan.prepare_key(key, key_serializer, schema, open_headers)
        value, open_headers = chan.prepare_value(value, value_serializer, schema, open_headers)
        record = Record(chan.get_topic_name(), partition, key, value, open_headers or None, timestamp)
        self._append(message, record, None)
        return record

    def put_changelog(self, message: Message, table: Any, key: bytes, value: Optional[bytes],
                      partition: Optional[int]) -> Record:
        """A table write's changelog record, already encoded; a later write of its key replaces it."""
        record = Record(table.changelog_name, partition, key, value, table=table)
        self._append(message, record, (record.topic, partition, key))
        return record

    def _append(self, message: Message, item: Attached, changelog_key: Optional[tuple]) -> None:
        # Events of one partition are processed in offset order, so each
        # queue stays sorted by offset.
        self._pending[message.tp].append((message.offset, next(self._sequence), item, changelog_key))
        self._count += 1
        if self._count >= MAX_PENDING:
            self.room.clear()

    def take(self, offsets: Mapping[TP, int]) -> list[tuple[TP, Attached]]:
        """Remove and return ``(source partition, attached)`` below ``offsets``, in write order.

        A commit offset is the next offset to read, so the event *at* it has
        not been acknowledged yet (Faust's own check, ``<=``, publishes the
        first attachments of an event that is still being processed). Of the
        changelog records of one key only the last is returned.
        """
        ready = []
        for tp, commit_offset in offsets.items():
            queue = self._pending.get(tp)
            while queue and queue[0][0] < commit_offset:
                _, sequence, item, changelog_key = queue.popleft()
                ready.append((sequence, tp, item, changelog_key))
        self._count -= len(ready)
        if self._count < MAX_PENDING:
            self.room.set()
        ready.sort(key=lambda entry: entry[0])
        seen: set = set()
        kept = []
        for _, tp, item, changelog_key in reversed(ready):
            if changelog_key is not None:
                if changelog_key in seen:
                    continue
                seen.add(changelog_key)
            kept.append((tp, item))
        kept.reverse()
        return kept

    def clear(self) -> None:
        """Forget every attachment: their transactions were abandoned."""
        self._pending.clear()
        self._count = 0
        self.room.set()
