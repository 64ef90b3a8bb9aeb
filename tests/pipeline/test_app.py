"""The worker's app starts the sensors its metrics need, and not Faust's Monitor."""
from __future__ import annotations

from dataclasses import replace

from pipeline.app import create_app
from pipeline.metrics.sensor import PipelineSensor
from pipeline.settings import Settings


def test_the_monitor_is_not_among_the_sensors(tmp_path) -> None:
    app = create_app(replace(Settings.from_env(), data_dir=tmp_path))
    sensor = PipelineSensor(app)
    app.sensors.add(sensor)
    app.on_init_dependencies()
    assert list(app.sensors) == [sensor]
    assert app.monitor is not None
