"""Prometheus metrics of a worker, served at ``GET /metrics`` (names in the README).

:func:`install` wires them into a Faust app: the sensor that counts messages,
the collectors of consumer lag and table sizes, the timer that reads the lag
from the broker, and the view. The saga reports its own events through
:func:`observe_outcome` and :func:`count_dead_letter`.
"""
from __future__ import annotations

from faust.types import AppT

from pipeline.metrics.collectors import LagCollector, TableSizeCollector
from pipeline.metrics.lag import LagReader
from pipeline.metrics.registry import REGISTRY, count_dead_letter, observe_outcome
from pipeline.metrics.sensor import PipelineSensor
from pipeline.metrics.view import MetricsView

__all__ = ["REGISTRY", "count_dead_letter", "install", "observe_outcome"]

#: Seconds between two readings of the group's offsets from the broker.
LAG_INTERVAL = 5.0
#: Seconds between two counts of the tables' keys.
TABLE_SIZE_INTERVAL = 10.0


def source_topics(app: AppT) -> set[str]:
    """The topics the app's agents consume (the group's subscription)."""
    return {name for agent in app.agents.values() for name in agent.channel.topics}  # type: ignore[attr-defined]


def install(app: AppT, bootstrap_servers: str, lag_interval: float = LAG_INTERVAL) -> None:
    """Count, collect and serve the worker's metrics (see the module doc)."""
    app.sensors.add(PipelineSensor(app))
    lag = LagCollector(LagReader(bootstrap_servers), app.conf.id, lambda: source_topics(app))
    sizes = TableSizeCollector(app)
    REGISTRY.register(lag)
    REGISTRY.register(sizes)
    app.timer(lag_interval, name="pipeline.metrics.refresh_lag")(lag.refresh)
    app.timer(TABLE_SIZE_INTERVAL, name="pipeline.metrics.count_table_keys")(sizes.refresh)
    app.page("/metrics")(MetricsView)
