"""Records a contender moved per order: what its rate is made of.

Two jobs at the same per-record speed differ in orders/s by the records each
order costs them, so a throughput run counts them: every committed record of
every topic a contender wrote (read back with ``read_committed``, so aborted
writes and transaction markers do not count), once its run is over. Each
topic is one of

* ``internal``: written by the contender and read back by it (the saga's
  commands and replies, Quix's repartition topics): each record costs one
  produce and one consume;
* ``changelog``: a table's or a state store's changelog, written only;
* ``output``: the outcomes (and dead letters), written only.

Records read are the input order plus the internal records; records moved are
those read plus those written. The seed events (stock, deposits) are left out
of the records read but their table writes are in the changelogs.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition
from rich.table import Table

from pipeline.bench.cluster import partitions_of
from pipeline.settings import Settings

KINDS = ("internal", "changelog", "output")


def count(settings: Settings, topics: Iterable[str]) -> dict[str, int]:
    """Committed records per topic, read to the end of every partition."""
    consumer = Consumer({
        "bootstrap.servers": settings.bootstrap_servers,
        "group.id": "bench-records",
        "isolation.level": "read_committed",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
        # big fetches, sent at once: millions of records are read as fast as they come
        "fetch.wait.max.ms": 10,
        "max.partition.fetch.bytes": 10 * 2**20,
    })
    try:
        counts = dict.fromkeys(topics, 0)
        partitions = [TopicPartition(topic, p, OFFSET_BEGINNING)
                      for topic in counts for p in partitions_of(consumer, topic)]
        if not partitions:
            return counts
        consumer.assign(partitions)
        pending = {(tp.topic, tp.partition) for tp in partitions}
        while pending:
            # a short timeout: consume() waits for its whole batch until then, which the last ones never fill
            for message in consumer.consume(10_000, timeout=0.2):
                error = message.error()
                if error is None:
                    counts[message.topic()] += 1
                elif error.code() == KafkaError._PARTITION_EOF:
                    pending.discard((message.topic(), message.partition()))
                else:
                    raise RuntimeError(f"counting {message.topic()!r}: {error.str()}")
        return counts
    finally:
        consumer.close()


def kind(topic: str, output: str) -> str:
    """Which of :data:`KINDS` ``topic`` is, for a contender writing its outcomes to ``output``."""
    if "changelog" in topic:  # Faust's <app>-<table>-changelog, Quix's changelog__<group>--...
        return "changelog"
    if topic == output or topic.endswith(".dlq"):
        return "output"
    return "internal"


def by_kind(counts: dict[str, int], output: str) -> dict[str, dict[str, int]]:
    """``counts`` (records per topic) grouped as ``{kind: {topic: records}}``."""
    grouped: dict[str, dict[str, int]] = {name: {} for name in KINDS}
    for topic, n in sorted(counts.items()):
        grouped[kind(topic, output)][topic] = n
    return grouped


@dataclass(frozen=True)
class PerOrder:
    """Records per order of one run, by kind."""

    internal: float
    changelog: float
    output: float

    @classmethod
    def of(cls, grouped: dict[str, dict[str, int]], orders: int) -> "PerOrder":
        """From :func:`by_kind`'s grouping of a run over ``orders`` orders."""
        return cls(**{name: sum(grouped[name].values()) / orders for name in KINDS})

    def as_dict(self) -> dict[str, float]:
        return {**{name: getattr(self, name) for name in KINDS},
                "read": self.read, "written": self.written, "moved": self.moved}

    @property
    def read(self) -> float:
        return 1 + self.internal

    @property
    def written(self) -> float:
        return self.internal + self.changelog + self.output

    @property
    def moved(self) -> float:
        return self.read + self.written


COLUMNS = ("contender", "read", "written: internal", "changelogs", "outputs", "moved", "records/s (best)")


def rows(variants: dict[str, dict]) -> list[list[str]]:
    """One row of cells (see :data:`COLUMNS`) per contender of a throughput summary with counts."""
    out = []
    for variant in variants.values():
        per = variant.get("records")
        if per is not None:
            out.append([variant["label"], f"{per['read']:.2f}", f"{per['internal']:.2f}", f"{per['changelog']:.2f}",
                        f"{per['output']:.2f}", f"{per['moved']:.2f}", f"{per['moved'] * variant['best']:,.0f}"])
    return out


def table(variants: dict[str, dict]) -> Table:
    out = Table(title="Records per order (first run of each contender)",
                caption="read: the order and the internal records; written: internal, changelogs, outputs; "
                        "committed records, counted read_committed")
    for column in COLUMNS:
        out.add_column(column, justify="left" if column == "contender" else "right")
    for cells in rows(variants):
        out.add_row(*cells)
    return out
