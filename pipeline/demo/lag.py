"""The pipeline's consumer lag at the end of a run, as ``orderflow lag`` reads it.

Two figures: the lag of :class:`pipeline.metrics.lag.LagReader` (records left
to process) and the plain end-minus-committed offset gap that Kafka's own
tools show, which never reaches 0 on topics written in transactions (their
commit markers take offsets no consumer sees).
"""
from __future__ import annotations

from dataclasses import dataclass

from pipeline.app import APP_ID
from pipeline.metrics.lag import LagReader
from pipeline.settings import Settings


@dataclass(frozen=True)
class Lag:
    records: int  # lag without transaction markers, summed over the group's partitions
    offsets: int  # end offsets minus committed offsets, summed
    partitions: int  # partitions the group reads


def group_lag(settings: Settings, group: str = APP_ID) -> Lag:
    reader = LagReader(settings.bootstrap_servers)
    try:
        rows = reader.read(group)
    finally:
        reader.close()
    return Lag(records=sum(row.lag for row in rows),
               offsets=sum(row.end - row.committed for row in rows if row.committed is not None),
               partitions=len(rows))
