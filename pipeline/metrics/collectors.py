"""Gauges computed outside the hot path: consumer lag and table sizes.

Lag comes from the broker every few seconds (a timer on every worker, the
blocking admin calls in a thread) and is published as it was last read, so a
scrape never waits for Kafka. Every worker publishes the lag of the whole
group: one worker that is alive is enough to see the partitions of one that
is stalled. Table sizes are RocksDB's own key estimates, read at scrape time.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Callable, Iterable, Iterator

from faust.types import AppT
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from pipeline.metrics.lag import LagError, LagReader, PartitionLag
from pipeline.metrics.registry import LAG_ERRORS

log = logging.getLogger(__name__)

_LAG_LABELS = ["group", "topic", "partition"]


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
    """``orderflow_table_keys``: approximate keys in the active partitions of each table."""

    def __init__(self, app: AppT) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "orderflow_table_keys", "Approximate number of keys in this worker's active partitions "
            "of a table (RocksDB's estimate-num-keys).", labels=["table"])
        for name, table in self.app.tables.items():
            family.add_metric([name], estimate_keys(table.data))
        yield family


def estimate_keys(store) -> int:
    # Faust's RocksDB store has no public per-partition accessor; its
    # _dbs_for_actives() is what its own len() iterates (key by key).
    dbs = getattr(store, "_dbs_for_actives", None)
    if dbs is None:
        return len(store)
    return sum(db.property_int_value("rocksdb.estimate-num-keys") or 0 for db in dbs())
