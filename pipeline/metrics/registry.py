"""The metric objects of a worker, in one registry served at ``/metrics``.

Every name starts with ``orderflow_`` and is documented in the README. Hot
paths call the small helpers below, which keep the labelled children in
dicts: prometheus-client's ``.labels()`` takes a lock and builds a key on
every call, a dict lookup does not.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(namespace="orderflow", registry=REGISTRY)

MESSAGES_IN = Counter(
    "orderflow_messages_in", "Messages delivered to an agent, by agent and source topic.",
    ["agent", "topic"], registry=REGISTRY,
)
EVENTS_OUT = Counter(
    "orderflow_events_out",
    "Messages published for an agent's events (outputs and changelog writes), by agent and topic.",
    ["agent", "topic"], registry=REGISTRY,
)
ORDER_LATENCY = Histogram(
    "orderflow_order_latency_seconds",
    "Time from an order's occurredAt to the occurredAt of its outcome, by outcome status.",
    ["status"], registry=REGISTRY,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
REJECTIONS = Counter(
    "orderflow_order_rejections", "Orders rejected, by reason.", ["reason"], registry=REGISTRY,
)
DEAD_LETTERS = Counter(
    "orderflow_dead_letters", "Messages sent to a dead-letter topic, by input topic and reason.",
    ["topic", "reason"], registry=REGISTRY,
)
REBALANCES = Counter(
    "orderflow_rebalances", "Consumer group rebalances this worker took part in.", registry=REGISTRY,
)
LAG_ERRORS = Counter(
    "orderflow_lag_collection_errors",
    "Failed attempts to read the group's offsets from the broker.", registry=REGISTRY,
)

_latency_by_status: dict[str, Histogram] = {}
_rejections_by_reason: dict[str, Counter] = {}
_dead_letters_by_key: dict[tuple[str, str], Counter] = {}


def observe_outcome(status: str, reason: Optional[str], placed_at_ms: int, decided: datetime) -> None:
    """An order was decided at ``decided``; it was placed at ``placed_at_ms``."""
    histogram = _latency_by_status.get(status)
    if histogram is None:
        histogram = _latency_by_status[status] = ORDER_LATENCY.labels(status)
    histogram.observe(max(decided.timestamp() - placed_at_ms / 1000, 0.0))
    if reason is not None:
        counter = _rejections_by_reason.get(reason)
        if counter is None:
            counter = _rejections_by_reason[reason] = REJECTIONS.labels(reason)
        counter.inc()


def count_dead_letter(topic: str, reason: str) -> None:
    counter = _dead_letters_by_key.get((topic, reason))
    if counter is None:
        counter = _dead_letters_by_key[(topic, reason)] = DEAD_LETTERS.labels(topic, reason)
    counter.inc()
