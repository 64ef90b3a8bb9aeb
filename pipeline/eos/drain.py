"""The consumer's fetch loop, handing each message to the streams without four tasks.

Faust's ``Consumer._drain_messages`` hands every fetched message over with
``Service.wait_first(callback(message), suspend_flow.wait())``: four tasks
(the callback, the suspend event, the service's stopped and crashed
events), an ``asyncio.wait`` and three cancellations per message, so that a
hand-off blocked on a full stream buffer gives way when a rebalance
suspends the flow. The hand-off almost never blocks: it decodes the message
and puts it in the buffers of the streams reading its partition. Measured
in isolation, ``wait_first`` costs ~40 us per message; without it the saga
worker went from 145 to 186 orders/s (paired runs, README "Performance";
upstream robinhood/faust #563, "Message consumption is slow").

:class:`DrainLoop` awaits the hand-off directly whenever nothing in it can
wait (flow active, Faust's producer buffer below its limit, the conductor's
callback map not being rebuilt, and room in every buffer of the partition),
and falls back to ``wait_first`` otherwise. It gives the event loop a turn
every :data:`YIELD_EVERY` messages, the cadence at which a stream takes
them (:data:`pipeline.eos.stream.EVENTS_PER_TURN`), so the agents keep pace
with the fetch loop without a turn of the loop per message: a loop that never
yielded starved them (164 vs 183 orders/s), one that yielded after every
message left them waking up to one event at a time (paired runs of 10,000
orders: 157 and 220 orders/s after the first outcome, now 200 and 252).
"""
from __future__ import annotations

import asyncio
from typing import cast

from faust.transport.consumer import CONSUMER_FETCHING
from faust.types import TP, Message
from mode import Service, ServiceT

from pipeline.eos.stream import EVENTS_PER_TURN

#: Messages handed over (or skipped as read before) between two turns of the event loop.
YIELD_EVERY = EVENTS_PER_TURN


class DrainLoop:
    """Mixin for :class:`pipeline.eos.transport.Consumer`: its fetch loop.

    It leaves out Faust's gap bookkeeping, which that consumer keeps in its
    ``getmany`` (its ``_add_gap`` does nothing).
    """

    def _can_hand_over(self, tp: TP) -> bool:
        """Whether ``Conductor.on_message`` for ``tp`` runs to its end without waiting."""
        app = self.app
        conductor = app.topics
        if self.suspend_flow.is_set() or not app.flow_control.is_active():
            return False
        buffer = app.producer.buffer
        if buffer.size > buffer.max_messages or conductor._tp_to_callback_lock.locked():
            return False
        return not any(channel.queue.full() for channel in conductor._tp_index.get(tp, ()))

    async def _hand_over(self, tp: TP, message: Message) -> None:
        if self._can_hand_over(tp):
            await self.callback(message)
        else:
            await self.wait_first(self.callback(message), self.suspend_flow.wait())

    async def _drain_messages(self, fetcher: ServiceT) -> None:
        """Faust's loop, with :meth:`_hand_over` for its ``wait_first``."""
        consumer_should_stop = cast(Service, self)._stopped.is_set
        fetcher_should_stop = cast(Service, fetcher)._stopped.is_set
        read_offset = self._read_offset
        commit_every = self._commit_every
        since_yield = 0
        try:
            while not (consumer_should_stop() or fetcher_should_stop()):
                self.diag.set_flag(CONSUMER_FETCHING)
                fetched = self.getmany(timeout=1.0)
                await self.sleep(0)
                if self.should_stop:
                    continue
                async for tp, message in fetched:
                    since_yield += 1
                    if since_yield >= YIELD_EVERY:
                        await asyncio.sleep(0)
                        since_yield = 0
                    last_read = read_offset[tp]
                    if last_read is not None and message.offset < last_read:
                        continue  # read before, in this generation
                    if commit_every is not None and self._n_acked >= commit_every:
                        self._n_acked = 0
                        await self.commit()
                    await self._hand_over(tp, message)
                    read_offset[tp] = message.offset
                self.diag.unset_flag(CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if not self.transport.app.should_stop:
                raise
            self.log.info("Broker stopped consumer, shutting down...")
        except asyncio.CancelledError:
            if not self.transport.app.should_stop:
                raise
            self.log.info("Consumer shutting down for user cancel.")
        except Exception as exc:
            self.log.exception("Drain messages raised: %r", exc)
            raise
        finally:
            self.diag.unset_flag(CONSUMER_FETCHING)
