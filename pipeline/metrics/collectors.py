"""Gauges computed outside the hot path: consumer lag and table sizes.

Lag comes from the broker every few seconds (a timer on every worker, the
blocking admin calls in a thread) and is published as it was last read, so a
scrape never waits for Kafka. Every worker publishes the lag of the whole
group: one worker that is alive is enough to see the partitions of one that
is stalled. Table sizes are counted in the event loop, a chunk of keys at a
time, every few seconds, and less often once counting would take more than
a small share of the loop's time.
"""
from __future__ import annotations

import asyncio
import logging
from itertools import islice
from time import monotonic
from typing import Callable, Iterable, Iterator

from faust.types import AppT
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from pipeline.metrics.lag import LagError, LagReader, PartitionLag
from pipeline.metrics.registry import LAG_ERRORS

log = logging.getLogger(__name__)

_LAG_LABELS = ["group", "topic", "partition"]
#: The share of the worker's time that counting table keys may take.
TABLE_COUNT_SHARE = 0.01


class LagCollector(Collector):
    """The last lag reading of ``group`` as ``orderflow_consumer_*`` gauges."""

    def __init__(self, reader: LagReader, group: str, topics: Callable[[], Iterable[str]]) -> None:
        self.reader = reader
        self.group = group
        self.topics = topics
        self.rows: list[PartitionLag] = []

    async def refresh(self) -> None:
        try:
            self.rows = await asyncio.to_thread(self.reader.read, self.group, list(self.topics()))
        except LagError as exc:
            LAG_ERRORS.inc()
            log.warning("consumer lag not updated: %s", exc)
        except Exception:  # an error in a Faust timer would stop the worker: never for a metric
            LAG_ERRORS.inc()
            log.exception("consumer lag not updated")

    def collect(self) -> Iterator[GaugeMetricFamily]:
        lag = GaugeMetricFamily(
            "orderflow_consumer_lag",
            "Records the group has yet to process: end offset minus committed offset "
            "(0 when only transaction markers or aborted records remain).", labels=_LAG_LABELS)
        committed = GaugeMetricFamily(
            "orderflow_consumer_committed_offset",
            "The group's committed offset (absent before the group's first commit there).",
            labels=_LAG_LABELS)
        end = GaugeMetricFamily(
            "orderflow_partition_end_offset", "The partition's last stable offset.", labels=_LAG_LABELS)
        for row in self.rows:
            labels = [row.group, row.topic, str(row.partition)]
            lag.add_metric(labels, row.lag)
            end.add_metric(labels, row.end)
            if row.committed is not None:
                committed.add_metric(labels, row.committed)
        yield from (lag, committed, end)


class TableSizeCollector(Collector):
    """``orderflow_table_keys``: keys in this worker's active partitions of each table.

    RocksDB's ``estimate-num-keys`` counts every write still in a memtable,
    and the saga rewrites the same keys all the time (measured: 7,693 for a
    table of about a hundred skus), so the keys are counted instead, a chunk
    at a time between two turns of the event loop, every ``TABLE_SIZE_INTERVAL``.
    The orders table and the ledgers only grow, and counting ~1,000,000 keys
    takes ~0.45 s: a count that took ``t`` seconds is followed
    by the next one no sooner than ``t / share`` seconds later, so counting
    never takes more than ``share`` of the worker's time.
    """

    def __init__(self, app: AppT, chunk: int = 5000, share: float = TABLE_COUNT_SHARE,
                 clock: Callable[[], float] = monotonic) -> None:
        self.app = app
        self.chunk = chunk
        self.share = share
        self.clock = clock
        self.sizes: dict[str, int] = {}
        self._busy = 0.0
        self._next_count_at = 0.0

    async def refresh(self) -> None:
        if self.clock() < self._next_count_at:
            return
        self._busy = 0.0
        actives = self.app.assignor.assigned_actives()
        sizes = {}
        for name, table in list(self.app.tables.items()):
            topic = table.changelog_topic.get_topic_name()
            partitions = sorted(tp.partition for tp in actives if tp.topic == topic)
            sizes[name] = await self._count(table.data, partitions)
        self.sizes = sizes
        self._next_count_at = self.clock() + self._busy / self.share

    async def _count(self, store, partitions: list[int]) -> int:
        # Faust's RocksDB store keeps one database per partition in _dbs and
        # has no public accessor for them; other stores are small dicts.
        started = self.clock()
        dbs = getattr(store, "_dbs", None)
        if dbs is None:
            total = len(store)
            self._busy += self.clock() - started
            return total
        total = 0
        for partition in partitions:
            after = None
            while (db := dbs.get(partition)) is not None:  # revoked between two chunks: skip it
                keys = list(islice(db.keys(from_key=after), self.chunk + 1))
                fresh = keys[1:] if after is not None and keys and keys[0] == after else keys
                total += sum(1 for key in fresh if key != store.offset_key)
                self._busy += self.clock() - started
                if len(keys) <= self.chunk:
                    break
                after = keys[-1]
                await asyncio.sleep(0)
                started = self.clock()
        return total

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "orderflow_table_keys", "Keys in this worker's active partitions of a table (counted "
            "every few seconds, less often for big tables).", labels=["table"])
        for name, size in self.sizes.items():
            family.add_metric([name], size)
        yield family
