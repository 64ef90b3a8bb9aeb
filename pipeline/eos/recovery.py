"""Table recovery that rebuilds a partition instead of crash-looping, and
that ends as soon as the changelogs are read.

Faust raises ``ConsistencyError`` when a local store says it has applied a
changelog offset the broker does not have (the changelog was deleted,
truncated, or the data dir belongs to another cluster), and the worker then
dies at every start (upstream faust-streaming #432). The local partition is
stale, not the changelog: here it is deleted, with a log line that says so,
and rebuilt from the changelog like a fresh one.

Under ``exactly_once`` every changelog partition ends with a transaction
marker, which takes an offset but is never delivered as a record: the
highwater Faust restores up to (the end offset - 1) is never reached, and
its recovery only ends once its changelog queue has stayed empty for two
5 s timeouts (``faust/tables/recovery.py``, ``_slurp_changelogs``), at every
start of every worker, with local state or without. Here the consumer
reports each fetch once its records are all in the changelog queue
(:meth:`pipeline.eos.transport.Consumer.getmany`): a partition whose fetch
position has passed its highwater then holds no record below it that is not
in the queue already, and its highwater becomes the last record it has.
"""
from __future__ import annotations

import logging
import shutil
from typing import Any, Counter, Optional, Set

from aiokafka.errors import IllegalStateError
from faust.tables.recovery import Recovery as _Recovery
from faust.types import TP

log = logging.getLogger(__name__)


def discard_partition(table: Any, partition: int) -> None:
    """Delete one partition of a table's RocksDB store; it reopens empty."""
    store = table.data
    db = store._dbs.pop(partition, None)
    if db is not None:
        db.close()
    shutil.rmtree(store.partition_path(partition), ignore_errors=True)
    store._key_index.clear()


class Recovery(_Recovery):
    #: True from the seek of the active changelog partitions to the end of recovery.
    restoring = False

    async def _seek_offsets(self, consumer: Any, tps: Set[TP], offsets: Counter[TP], title: str) -> None:
        await super()._seek_offsets(consumer, tps, offsets, title)
        if title == "active":
            self.restoring = True

    async def _build_highwaters(self, consumer: Any, tps: Set[TP], destination: Counter[TP], title: str) -> None:
        if title == "active":
            # A new recovery: its highwaters and offsets are being built. An end
            # signal still set from the previous one (set by :meth:`on_fetched`
            # while Faust's changelog loop sat waiting, which clears it only
            # at its next record or timeout) would end this one at once.
            self.restoring = False
            self.signal_recovery_end.clear()
        await super()._build_highwaters(consumer, tps, destination, title)

    def _set_recovery_ended(self) -> None:
        self.restoring = False
        super()._set_recovery_ended()

    async def on_fetched(self, consumer: Any) -> None:
        """Between two fetches: end the restore of partitions read to their end."""
        generation = self.app.consumer_generation_id
        behind = [tp for tp, left in self.active_remaining().items() if left > 0]
        for tp in behind:
            try:
                position: Optional[int] = await consumer.fetch_position(tp)
            except IllegalStateError:
                # Revoked since this fetch (aiokafka: "partition is not assigned"):
                # a rebalance is under way, and the recovery it starts takes over.
                return
            if not self.restoring or self.app.consumer_generation_id != generation:
                return  # ended, or a rebalance started another recovery meanwhile
            highwater = self.active_highwaters[tp]
            if position is None or position <= highwater:
                continue
            last = self.active_offsets[tp]
            delivered = consumer.last_delivered(tp)
            if delivered is not None:
                last = max(last, delivered)  # still in the queue: recovery ends once it is applied
            self.active_highwaters[tp] = min(highwater, last)
        if behind and self.restoring and not self.need_recovery():
            # What Faust's recovery does when its queue times out with nothing left.
            self.flush_buffers()
            self._set_recovery_ended()
            self.signal_recovery_end.set()

    async def _build_offsets(self, consumer: Any, tps: Set[TP], destination: Counter[TP], title: str) -> None:
        await super()._build_offsets(consumer, tps, destination, title)
        if title != "active":
            return
        for tp in tps:
            highwater = self.active_highwaters.get(tp)
            if highwater is None or destination[tp] <= highwater:
                continue
            log.warning(
                "local store of %s partition %d has applied offset %d, past the changelog's "
                "last offset %d: rebuilding that partition from the changelog",
                tp.topic, tp.partition, destination[tp], highwater,
            )
            discard_partition(self.tables._changelogs[tp.topic], tp.partition)
            earliest = (await consumer.earliest_offsets(tp)).get(tp)
            destination[tp] = earliest - 1 if earliest is not None else -1
