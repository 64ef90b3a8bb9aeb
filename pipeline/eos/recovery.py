"""Table recovery that rebuilds a partition instead of crash-looping.

Faust raises ``ConsistencyError`` when a local store says it has applied a
changelog offset the broker does not have (the changelog was deleted,
truncated, or the data dir belongs to another cluster), and the worker then
dies at every start (upstream faust-streaming #432). The local partition is
stale, not the changelog: here it is deleted, with a log line that says so,
and rebuilt from the changelog like a fresh one.
"""
from __future__ import annotations

import logging
import shutil
from typing import Any, Counter, Set

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
