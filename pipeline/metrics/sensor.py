"""A Faust sensor counting what flows through the agents.

Faust calls a sensor on every message; here each call is one dict lookup and
one counter increment. Messages published at commit (``pipeline.eos``) are
counted once per commit round, for the agent of the source topic they are
published for (:mod:`pipeline.eos.send_sensors`); a send outside any source
event, such as an order posted over HTTP, is counted as it is sent, for no
agent.
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

import faust
from faust.types import TP, AppT, EventT, StreamT
from faust.types.transports import ProducerT
from faust.types.tuples import PendingMessage
from prometheus_client import Counter

from pipeline.metrics.registry import EVENTS_OUT, MESSAGES_IN, REBALANCES

#: The agent label of a send made outside any source event (none in the saga).
NO_AGENT = "none"


def agent_label(name: str) -> str:
    """``agents.orders.place_order`` -> ``place_order``."""
    return name.rpartition(".")[2]


class PipelineSensor(faust.Sensor):
    def __init__(self, app: AppT, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.app = app
        self._in: dict[tuple[str, str], Counter] = {}
        self._out: dict[tuple[Optional[str], str], Counter] = {}
        self._agent_of_topic: dict[str, str] = {}

    def on_stream_event_in(self, tp: TP, offset: int, stream: StreamT, event: EventT) -> Optional[Dict]:
        key = (stream.prefix, tp.topic)
        counter = self._in.get(key)
        if counter is None:
            counter = self._in[key] = MESSAGES_IN.labels(agent_label(stream.prefix or NO_AGENT), tp.topic)
        counter.inc()
        return None

    def on_send_initiated(self, producer: ProducerT, topic: str, message: PendingMessage,
                          keysize: int, valsize: int) -> Any:
        self._count_out(None, topic, 1)
        return None

    def on_messages_published(self, counts: Mapping[tuple[str, str], int]) -> None:
        """One commit round's attached messages, ``(source topic, topic) -> count``."""
        for (source_topic, topic), count in counts.items():
            self._count_out(source_topic, topic, count)

    def _count_out(self, source_topic: Optional[str], topic: str, count: int) -> None:
        key = (source_topic, topic)
        counter = self._out.get(key)
        if counter is None:
            counter = self._out[key] = EVENTS_OUT.labels(self._agent_for(source_topic), topic)
        counter.inc(count)

    def on_rebalance_start(self, app: AppT) -> Dict:
        REBALANCES.inc()
        return super().on_rebalance_start(app)

    def _agent_for(self, source_topic: Optional[str]) -> str:
        if source_topic is None:
            return NO_AGENT
        if source_topic not in self._agent_of_topic:
            names = sorted(
                agent_label(agent.name) for agent in self.app.agents.values()
                if source_topic in agent.channel.topics  # type: ignore[attr-defined]
            )
            self._agent_of_topic[source_topic] = ",".join(names) or NO_AGENT
        return self._agent_of_topic[source_topic]
