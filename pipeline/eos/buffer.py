"""A RocksDB table store that holds writes until their transaction commits.

Faust writes a table update to the local RocksDB store at once, while its
changelog record only counts once the source partition's transaction
commits. When that transaction is abandoned (a rebalance revokes the
partition, the worker is fenced or dies), the store keeps a state the
changelog never had: a worker that keeps the partition then finds the
effects of the redelivered events "already applied" and emits nothing for
them, and Faust's recovery resumes from an offset persisted next to those
writes (upstream faust-streaming #323, #502, #517).

Here writes go to an in-memory buffer, per source partition and in write
order; reads see the buffer first. When a transaction commits, the writes of
the events below its commit offsets are applied to RocksDB in one batch per
partition, before the changelog offset is persisted, and when a rebalance
abandons the transactions the buffer is dropped. The local store thus only
ever holds committed state, like the changelog read with ``read_committed``.
"""
from __future__ import annotations

import itertools
from collections import defaultdict, deque
from typing import Any, Iterator, Mapping, Optional, Set

import rocksdict
from faust.stores import rocksdb
from faust.streams import current_event
from faust.types import TP

from pipeline.eos.plain_codecs import PlainCodecs
from pipeline.eos.store_memory import BoundedRocksDBOptions

#: A buffered deletion (a buffered write of ``None`` would read as "absent" too,
#: but must still hide the value in RocksDB).
DELETED = None
_MISSING = object()


class BufferedStore(PlainCodecs, rocksdb.Store):
    """Faust's RocksDB store with transaction-scoped write buffering.

    Its databases open with :class:`BoundedRocksDBOptions`: memtables and
    block cache on one budget for the whole worker; its keys and values are
    encoded by their codecs directly (:class:`PlainCodecs`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rocksdb_options = BoundedRocksDBOptions(
            self.app.table_memory, **self.options, use_rocksdict=self.use_rocksdict,
        )
        #: partition -> key -> newest uncommitted value (or DELETED)
        self._latest: defaultdict[int, dict[bytes, Optional[bytes]]] = defaultdict(dict)
        #: source partition -> (offset, sequence, partition, key, value), in write order
        self._writes: defaultdict[TP, deque] = defaultdict(deque)
        self._sequence = itertools.count()
        #: Faust reads a key in the event's partition unless the table is global or partitions by key
        self._read_event_partition = not (self.table.is_global or self.table.use_partitioner)

    # -- writes -----------------------------------------------------------

    def _buffer(self, key: bytes, value: Optional[bytes]) -> None:
        event = current_event()
        if event is None:
            raise RuntimeError(f"table {self.table_name!r} modified outside of an agent's event")
        message = event.message
        partition = message.partition
        self._latest[partition][key] = value
        self._writes[message.tp].append((message.offset, next(self._sequence), partition, key, value))

    def _set(self, key: bytes, value: Optional[bytes]) -> None:
        self._buffer(key, value)

    def _del(self, key: bytes) -> None:
        self._buffer(key, DELETED)

    def changelog(self, offsets: Mapping[TP, int]) -> dict[tuple[int, bytes], tuple[int, TP, Optional[bytes]]]:
        """The changelog records of the events below ``offsets``: the last write of each key.

        ``(partition, key) -> (sequence, source partition, value or None)``:
        a changelog needs only the last value a round gives each key (a saga
        step rewrites an order's state, a sku's stock and its ledger a few
        times per order), and the last write of a key that events of two
        source partitions wrote (say ``stock`` and ``stock-commands``
        partition 3, sku X) is the one of the higher sequence. The writes
        stay buffered until their transaction commits (:meth:`commit`).
        """
        last: dict[tuple[int, bytes], tuple[int, TP, Optional[bytes]]] = {}
        for tp, commit_offset in offsets.items():
            queue = self._writes.get(tp)
            if not queue:
                continue
            for offset, sequence, partition, key, value in queue:
                if offset >= commit_offset:
                    break
                found = last.get((partition, key))
                if found is None or found[0] < sequence:
                    last[partition, key] = (sequence, tp, value)
        return last

    def commit(self, offsets: Mapping[TP, int],
               last: Optional[Mapping[tuple[int, bytes], tuple[int, TP, Optional[bytes]]]] = None) -> None:
        """Apply the writes of events below ``offsets``: their transaction committed.

        Only the last write of each key reaches RocksDB, as only it reached
        the changelog: ``last``, what :meth:`changelog` gave for these very
        offsets when the commit published it, or found again here; the
        other writes are dropped from the buffer.
        """
        if last is None:
            last = self.changelog(offsets)
        if not last:
            return
        for tp, commit_offset in offsets.items():
            queue = self._writes.get(tp)
            while queue and queue[0][0] < commit_offset:
                queue.popleft()
        batches: defaultdict[int, rocksdict.WriteBatch] = defaultdict(
            lambda: rocksdict.WriteBatch(raw_mode=True)
        )
        for (partition, key), (_, _, value) in last.items():
            if value is DELETED:
                batches[partition].delete(key)
            else:
                batches[partition].put(key, value)
        for partition, batch in batches.items():
            self._db_for_partition(partition).write(batch)
        for (partition, key), (_, _, value) in last.items():
            latest = self._latest[partition]
            # A newer uncommitted write of the key stays buffered.
            if key in latest and latest[key] is value:
                del latest[key]

    def discard(self) -> None:
        """Forget every uncommitted write: their transactions were abandoned."""
        self._latest.clear()
        self._writes.clear()

    def revoke_partitions(self, table: Any, tps: Set[TP]) -> None:
        """Faust's, when this store holds a database of one of ``tps``; else nothing.

        Faust's ``Store.revoke_partitions`` drops the databases of the revoked
        changelog partitions and then runs a full ``gc.collect()``, for every
        table at every rebalance, even when it dropped nothing (the first
        assignment revokes no partition at all): six full collections of the
        worker's heap while it rejoins its group, ~2% of a 20,000-order run's
        profile. The collection is what lets a dropped database close, so it
        stays where one is dropped.
        """
        changelogs = table.changelog_topic.topics
        if any(tp.topic in changelogs and tp.partition in self._dbs for tp in tps):
            super().revoke_partitions(table, tps)

    # -- reads ------------------------------------------------------------

    def _get(self, key: bytes) -> Optional[bytes]:
        """The buffered value of ``key``, else the committed one.

        In an agent's event, the partition of the event's message is read,
        as Faust's store reads it, but without filing the key in Faust's key
        index (``Store._key_index``, mode's ``LRUCache``: a lock and a move
        per read and per committed write, ~2% of the worker): only reads
        outside an event consult that index, and without it they find a key
        through the partitions' bloom filters.
        """
        event = current_event()
        if event is None:
            for latest in self._latest.values():
                value = latest.get(key, _MISSING)
                if value is not _MISSING:
                    return value
            return super()._get(key)
        partition = event.message.partition
        value = self._latest[partition].get(key, _MISSING)
        if value is not _MISSING:
            return value
        if self._read_event_partition:
            return self._db_for_partition(partition).get(key)
        return super()._get(key)

    def lookup(self, key: Any, default: Any = None) -> Any:
        """The decoded value of ``key``, or ``default``: ``get`` in one read."""
        value = self._get(self._encode_key(key))
        return default if value is None else self._decode_value(value)

    def _contains(self, key: bytes) -> bool:
        return self._get(key) is not None

    def _size(self) -> int:
        return sum(1 for _ in self._iterkeys())

    def _iteritems(self) -> Iterator[tuple[bytes, bytes]]:
        """Committed items overlaid with the uncommitted writes of active partitions."""
        pending: dict[bytes, Optional[bytes]] = {}
        for latest in self._latest.values():
            pending.update(latest)
        for key, value in super()._iteritems():
            if key not in pending:
                yield key, value
        for key, value in pending.items():
            if value is not DELETED:
                yield key, value

    def _iterkeys(self) -> Iterator[bytes]:
        for key, _ in self._iteritems():
            yield key

    def _itervalues(self) -> Iterator[bytes]:
        for _, value in self._iteritems():
            yield value
