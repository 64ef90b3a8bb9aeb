"""The worker's app starts the sensors its metrics need, and not Faust's Monitor; they count its sends."""
from __future__ import annotations

from dataclasses import replace

from faust.types import TP

from agents.orders import place_order
from pipeline.app import InboundTimes, create_app
from pipeline.app import app as worker_app
from pipeline.metrics.registry import EVENTS_OUT
from pipeline.metrics.sensor import PipelineSensor, agent_label
from pipeline.settings import Settings


def test_the_monitor_is_not_among_the_sensors(tmp_path) -> None:
    app = create_app(replace(Settings.from_env(), data_dir=tmp_path))
    sensor = PipelineSensor(app)
    app.sensors.add(sensor)
    app.on_init_dependencies()
    assert app.monitor is not None and app.monitor not in app.sensors
    others = [s for s in app.sensors if s is not sensor]
    assert sensor in app.sensors and [type(s) for s in others] == [InboundTimes]


def test_the_livelock_check_still_sees_when_streams_take_events(tmp_path) -> None:
    """Faust's consumer thread reads ``app.monitor.stream_inbound_time``; a stream event in must set it."""
    app = create_app(replace(Settings.from_env(), data_dir=tmp_path))
    app.on_init_dependencies()
    tp = TP("orderflow-orders", 3)
    assert tp not in app.monitor.stream_inbound_time
    app.sensors.on_stream_event_in(tp, 41, stream=None, event=None)
    first = app.monitor.stream_inbound_time[tp]
    app.sensors.on_stream_event_in(tp, 42, stream=None, event=None)
    assert app.monitor.stream_inbound_time[tp] >= first > 0


def test_messages_published_at_commit_are_counted_for_the_agent_of_their_source() -> None:
    sensor = PipelineSensor(worker_app)
    outcomes = EVENTS_OUT.labels(agent_label(place_order.name), "order-outcomes")
    before = outcomes._value.get()
    sensor.on_messages_published({("orders", "order-outcomes"): 3})
    sensor.on_messages_published({("orders", "order-outcomes"): 2})
    assert outcomes._value.get() == before + 5
