"""The app's sensors, as a commit round calls them for the messages it publishes.

Faust tells its sensors of every send twice, through its ``SensorDelegate``:
``on_send_initiated`` builds a dict of each sensor's state per message, and
``on_send_completed`` hands each sensor its state back when the message is
delivered. A commit round publishes ~20 attached messages per saga order
(outputs, commands, replies, changelog records), and those two calls and
their dicts were ~4% of the worker's CPU while no sensor of the worker keeps
any state per send: its Prometheus sensor only counts messages by agent and
topic.

So a sensor may count a round at once instead: one that defines
``on_messages_published(counts)`` gets, once per round, how many messages
each source topic published to each topic, and no per-message call for them.
Sensors that override Faust's per-message send hooks (``StatsdMonitor``,
``PrometheusMonitor``, ...) still get every message, with their own state.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

import faust

#: Faust's per-message send hooks, which a sensor may override.
SEND_HOOKS = ("on_send_initiated", "on_send_completed", "on_send_error")


def wants_each_send(sensor: Any) -> bool:
    """Whether ``sensor`` overrides one of Faust's per-message send hooks and counts no rounds."""
    if hasattr(sensor, "on_messages_published"):
        return False
    return any(getattr(type(sensor), hook, None) is not getattr(faust.Sensor, hook) for hook in SEND_HOOKS)


class SendSensors:
    """Per-message send hooks for the sensors that want them, per-round counts for the others."""

    def __init__(self, sensors: Iterable[Any]) -> None:
        sensors = list(sensors)
        self.each = [sensor for sensor in sensors if wants_each_send(sensor)]
        self.rounds = [sensor for sensor in sensors if hasattr(sensor, "on_messages_published")]

    def on_send_initiated(self, producer: Any, topic: str, attached: Any) -> Optional[dict]:
        """The states of the sensors that see each message, or None when none does.

        ``attached`` is a ``FutureMessage`` or a
        :class:`~pipeline.eos.attachments.Record`: both have a ``message``
        with ``key`` and ``value``.
        """
        if not self.each:
            return None
        message = attached.message
        keysize, valsize = len(message.key or b""), len(message.value or b"")
        return {sensor: sensor.on_send_initiated(producer, topic, message, keysize, valsize)
                for sensor in self.each}

    def on_send_completed(self, producer: Any, state: Optional[dict], metadata: Any) -> None:
        if state:
            for sensor, own in state.items():
                sensor.on_send_completed(producer, own, metadata)

    def on_send_error(self, producer: Any, exc: BaseException, state: Optional[dict]) -> None:
        if state:
            for sensor, own in state.items():
                sensor.on_send_error(producer, exc, own)

    def on_messages_published(self, counts: Mapping[tuple[str, str], int]) -> None:
        """``counts``: ``(source topic, topic) -> messages`` of one commit round."""
        if counts:
            for sensor in self.rounds:
                sensor.on_messages_published(counts)
