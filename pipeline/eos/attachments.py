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
several writes of one table key in one commit only the last is published:
a saga step rewrites an order's state, a sku's stock and its ledger a few
times per order, and each record costs a send.

Attached messages wait in memory until a commit takes them, and the streams
go on processing while a round commits. Behind a backlog, a worker that
processed faster than it committed held 120,000 of them (~100 MiB) at once;
:attr:`OrderedAttachments.room` is cleared at :data:`MAX_PENDING`, and the
streams (:mod:`pipeline.eos.stream`) wait for the next commit to take them.
"""
from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict, deque
from typing import Any, Mapping, Optional

from faust.app._attached import Attachments
from faust.types import TP, FutureMessage, Message
from faust.types.tuples import PendingMessage

#: Attached messages held before the streams wait for a commit: ~1,000 saga orders.
MAX_PENDING = 20_000


class OrderedAttachments(Attachments):
    """Per-partition queues of ``(offset, sequence, message)``."""

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
    ) -> FutureMessage:
        chan = self.app.topic(channel) if isinstance(channel, str) else channel
        fut = chan.as_future_message(
            key, value, partition, timestamp, headers, schema,
            key_serializer, value_serializer, callback,
        )
        self._append(message, fut, None)
        return fut

    def put_changelog(self, message: Message, changelog: Any, key: bytes, value: Optional[bytes],
                      partition: Optional[int], callback: Any = None) -> FutureMessage:
        """A table write's changelog record, already encoded; a later write of its key replaces it.

        Table writes come encoded (:class:`pipeline.eos.tables.TransactionalTable`):
        Faust's ``Channel.as_future_message`` would pass them through its
        header, key and value serializers once more.
        """
        fut = FutureMessage(PendingMessage(
            changelog, key, value, partition, None, None, "raw", "raw", callback,
            generation_id=self.app.consumer_generation_id,
        ))
        self._append(message, fut, (changelog, partition, key))
        return fut

    def _append(self, message: Message, fut: FutureMessage, changelog_key: Optional[tuple]) -> None:
        # Events of one partition are processed in offset order, so each
        # queue stays sorted by offset.
        self._pending[message.tp].append((message.offset, next(self._sequence), fut, changelog_key))
        self._count += 1
        if self._count >= MAX_PENDING:
            self.room.clear()

    def take(self, offsets: Mapping[TP, int]) -> list[tuple[TP, FutureMessage]]:
        """Remove and return ``(source partition, message)`` attached below ``offsets``, in write order.

        A commit offset is the next offset to read, so the event *at* it has
        not been acknowledged yet (Faust's own check, ``<=``, publishes the
        first attachments of an event that is still being processed). Of the
        changelog records of one key only the last is returned.
        """
        ready = []
        for tp, commit_offset in offsets.items():
            queue = self._pending.get(tp)
            while queue and queue[0][0] < commit_offset:
                _, sequence, fut, changelog_key = queue.popleft()
                ready.append((sequence, tp, fut, changelog_key))
        self._count -= len(ready)
        if self._count < MAX_PENDING:
            self.room.set()
        ready.sort(key=lambda entry: entry[0])
        seen: set = set()
        kept = []
        for _, tp, fut, changelog_key in reversed(ready):
            if changelog_key is not None:
                if changelog_key in seen:
                    continue
                seen.add(changelog_key)
            kept.append((tp, fut))
        kept.reverse()
        return kept

    def clear(self) -> None:
        """Forget every attachment: their transactions were abandoned."""
        self._pending.clear()
        self._count = 0
        self.room.set()
