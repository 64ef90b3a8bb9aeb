"""Resuming a running flow keeps the events in the stream buffers; resuming a suspended one drops them."""
from __future__ import annotations

from dataclasses import replace

from mode.utils.queues import ThrowableQueue

from pipeline.app import create_app
from pipeline.eos.flow import FlowControl
from pipeline.settings import Settings


def stream_buffer(flow: FlowControl) -> ThrowableQueue:
    """A buffer like a Faust channel's: emptied by its flow control."""
    return ThrowableQueue(flow_control=flow, clear_on_resume=True)


def test_resuming_a_running_flow_keeps_what_the_buffers_hold() -> None:
    flow = FlowControl(initially_suspended=True)
    buffer = stream_buffer(flow)
    flow.resume()
    buffer.put_nowait("event of this generation")
    flow.resume()  # what a recovery does again after seeking the stream partitions
    assert flow.is_active()
    assert buffer.get_nowait() == "event of this generation"


def test_resuming_a_suspended_flow_drops_what_was_fetched_before() -> None:
    flow = FlowControl(initially_suspended=False)
    buffer = stream_buffer(flow)
    buffer.put_nowait("event of the previous generation")
    flow.suspend()
    assert not flow.is_active()
    flow.resume()
    assert flow.is_active() and buffer.empty()


def test_the_app_s_streams_use_it(tmp_path) -> None:
    app = create_app(replace(Settings.from_env(), data_dir=tmp_path))
    assert isinstance(app.flow_control, FlowControl)
    assert app.FlowControlQueue(clear_on_resume=True)._flow_control is app.flow_control
