"""A commit round's sends: counted per round by sensors that can, per message for Faust's own kind."""
from __future__ import annotations

from types import SimpleNamespace

import faust
from faust.types import FutureMessage

from pipeline.eos.send_sensors import SendSensors


class RoundCounter(faust.Sensor):
    """Counts rounds; also counts sends made outside a round, as the pipeline's sensor does."""

    def __init__(self) -> None:
        super().__init__()
        self.rounds: list[dict] = []
        self.each: list[str] = []

    def on_send_initiated(self, producer, topic, message, keysize, valsize):
        self.each.append(topic)

    def on_messages_published(self, counts) -> None:
        self.rounds.append(dict(counts))


class PerMessage(faust.Sensor):
    """Faust's kind (StatsdMonitor, PrometheusMonitor): a state per send, handed back when it completes."""

    def __init__(self) -> None:
        super().__init__()
        self.completed: list[tuple] = []
        self.errors: list[tuple] = []

    def on_send_initiated(self, producer, topic, message, keysize, valsize):
        return (topic, keysize, valsize)

    def on_send_completed(self, producer, state, metadata) -> None:
        self.completed.append((state, metadata))

    def on_send_error(self, producer, exc, state) -> None:
        self.errors.append((state, exc))


def sent(key: bytes, value: bytes) -> FutureMessage:
    return FutureMessage(SimpleNamespace(key=key, value=value))


async def test_a_sensor_that_counts_rounds_gets_no_call_per_message() -> None:
    counter, plain = RoundCounter(), faust.Sensor()
    sensors = SendSensors([counter, plain])
    assert sensors.on_send_initiated(None, "order-outcomes", sent(b"o1", b"v")) is None
    sensors.on_send_completed(None, None, "metadata")
    sensors.on_messages_published({("orders", "order-outcomes"): 3, ("orders", "orders.dlq"): 1})
    sensors.on_messages_published({})
    assert counter.each == []
    assert counter.rounds == [{("orders", "order-outcomes"): 3, ("orders", "orders.dlq"): 1}]


async def test_a_sensor_of_faust_kind_gets_each_message_and_its_own_state_back() -> None:
    counter, each = RoundCounter(), PerMessage()
    sensors = SendSensors([counter, each])
    state = sensors.on_send_initiated(None, "order-outcomes", sent(b"o1", b"value"))
    assert state == {each: ("order-outcomes", 2, 5)}
    sensors.on_send_completed(None, state, "metadata")
    failure = RuntimeError("broker gone")
    sensors.on_send_error(None, failure, state)
    assert each.completed == [(("order-outcomes", 2, 5), "metadata")]
    assert each.errors == [(("order-outcomes", 2, 5), failure)]
    assert counter.each == []
