"""A Faust stream whose acknowledgements all pass through the consumer,
and that yields to the event loop once per burst of events, not per event.

Faust's compiled stream iterator (``faust._cython.streams``, used whenever
it is importable, whatever ``cython_optimizations`` says) acknowledges an
event by writing the consumer's ``_acked`` lists itself, bypassing
``Consumer.ack``. Events it skipped unprocessed (flow suspended by a
rebalance, or an older consumer generation) then count as done, and their
offsets get committed: those events are lost (upstream faust-streaming
#502, #517). The pure-Python iterator acknowledges through
``Consumer.ack``, where :class:`pipeline.eos.transport.Consumer` refuses
such acknowledgements.

That iterator (``Stream._py_aiter``) also starts every event with
``await asyncio.sleep(0)``: one turn of the event loop per event of every
agent, a ``select`` call and the scheduling of every ready callback, ~10
turns per saga order. Here a stream whose channel already holds the next
event takes it at once, and gives the loop a turn every
:data:`EVENTS_PER_TURN` events (agents' bodies do not suspend: their sends
are attached to the event, their table writes are buffered), so the fetch
loop, the commits and the other agents still run between bursts. What each
event goes through is otherwise Faust 0.15's ``_py_aiter``: skipping under
a suspended flow or an old generation, tracking, sensors, the current
event, processors, and the acknowledgement in ``finally``.

Before each event it also waits while the app's attachments are full
(:attr:`pipeline.eos.attachments.OrderedAttachments.room`), until a commit
takes them.
"""
from __future__ import annotations

import asyncio
import weakref
from typing import Any, AsyncIterator

import faust
from faust.exceptions import Skip
from faust.streams import _current_event
from faust.types import EventT
from faust.types.topics import ChannelT
from mode import shortlabel
from mode.utils.futures import maybe_async

#: Events a stream takes from a non-empty channel between two turns of the loop.
EVENTS_PER_TURN = 10


class Stream(faust.Stream):
    """:class:`faust.Stream`, iterated in bursts and acknowledged through the consumer."""

    def __aiter__(self) -> AsyncIterator[Any]:
        iterator = self._burst_aiter() if isinstance(self.channel, ChannelT) else self._py_aiter()
        # Tracked like Faust's own, so that stopping the stream closes it.
        self._active_agens.add(iterator)
        return iterator

    async def _burst_aiter(self) -> AsyncIterator[Any]:
        self._finalized = True
        started_by_aiter = await self.maybe_start()
        channel = self.channel
        queue = channel.queue
        queue_empty, get_nowait, errors = queue.empty, queue.get_nowait, queue._errors
        slow_get = channel.__anext__
        app = self.app
        add_unacked = app.consumer.unacked.add
        acking_topics = app.topics.acking_topics
        flow_active = app.flow_control.is_active
        on_stream_event_in = self._on_stream_event_in
        on_stream_event_out = self._on_stream_event_out
        on_message_in = self._on_message_in
        on_message_out = self._on_message_out
        processors, on_merge, trace = self._processors, self.on_merge, app.trace
        skipped = self._skipped_value
        # An app without ordered attachments (Faust's own) sets no bound.
        room = getattr(app._attachments, "room", None)
        taken = 0
        try:
            while not self.should_stop:
                event = None
                value: Any = None
                sensor_state = None
                do_ack = self.enable_acks
                while value is None and event is None:
                    if errors:
                        raise errors.popleft()
                    if room is not None and not room.is_set():
                        taken = 0
                        await room.wait()
                        continue
                    if queue_empty():
                        taken = 0
                        channel_value = await slow_get()
                    else:
                        taken += 1
                        if taken >= EVENTS_PER_TURN:
                            taken = 0
                            await asyncio.sleep(0)
                            continue  # check errors and the queue again after the turn
                        channel_value = get_nowait()
                    if isinstance(channel_value, EventT):
                        event = channel_value
                        message = event.message
                        if not flow_active() or message.generation_id != app.consumer_generation_id:
                            value = skipped
                            break
                        if message.topic in acking_topics and not message.tracked:
                            message.tracked = True
                            add_unacked(message)
                            on_message_in(message.tp, message.offset, message)
                        sensor_state = on_stream_event_in(message.tp, message.offset, self, event)
                        _current_event.set(weakref.ref(event))
                        self.current_event = event
                        value = event.value
                    else:
                        value = channel_value
                        self.current_event = None
                    try:
                        for processor in processors:
                            with trace(f"processor-{shortlabel(processor)}"):
                                value = await maybe_async(processor(value))
                        value = await on_merge(value)
                    except Skip:
                        value = skipped
                try:
                    if value is not skipped:
                        self.events_total += 1
                        yield value
                finally:
                    self.current_event = None
                    if event is not None and (do_ack or value is skipped):
                        last_stream_to_ack = event.ack()
                        message = event.message
                        on_stream_event_out(message.tp, message.offset, self, event, sensor_state)
                        if last_stream_to_ack:
                            on_message_out(message.tp, message.offset, message)
        except StopAsyncIteration:
            return
        finally:
            self._channel_stop_iteration(channel)
            if started_by_aiter:
                await self.stop()
                self.service_reset()
