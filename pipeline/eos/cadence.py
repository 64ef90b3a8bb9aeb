"""When the consumer commits: once the worker has caught up, or after the commit interval.

Faust commits on a fixed timer (``Consumer._commit_handler``: one round every
``broker_commit_interval``, whether or not anything was processed). Under
``exactly_once`` every saga step waits for the commit that makes its input
visible to the next one, so at light load each of an order's five steps sat
idle until the next tick, and an idle worker woke up ten times a second to
commit nothing.

:class:`CommitCadence` starts a round as soon as events were acknowledged
and every stream buffer is empty (the worker has processed all it was
handed), or once the commit interval has passed since the last round began,
whichever comes first. Under load the buffers seldom empty and rounds follow
the interval, or each other when a round outlasts it, as before; at light
load a step commits as soon as it has been processed: order-to-outcome p50
at 20 orders/s went from ~720 to ~270 ms, and an idle worker from 1.0% to
0.7% of a core (README, Performance). Offsets acknowledged but not
committable yet (a partition whose committed offset is still unknown after
a rebalance) are tried again every interval, as the timer did. A round is
what it always was (``Consumer.commit``); only its start moves.
"""
from __future__ import annotations

import asyncio
from time import monotonic

from mode import Service

#: How often a worker with uncommitted work checks whether it has caught up.
CATCH_UP_POLL = 0.005
#: The warning of a round that outlasted the interval (``orderflow bench profile`` counts them).
SLOW_ROUND = "Commit round outlasted the commit interval (interval=%r runtime=%r)"


class CommitCadence:
    """Mixin for :class:`pipeline.eos.transport.Consumer`: its commit timer.

    The consumer calls :meth:`_on_acked` for every acknowledgement it counts.
    """

    def _init_cadence(self) -> None:
        #: set by every counted acknowledgement, cleared when a round begins
        self._acked_since_round = asyncio.Event()
        self._round_began = monotonic()

    def _on_acked(self) -> None:
        self._acked_since_round.set()

    def _caught_up(self) -> bool:
        """Whether every stream buffer is empty: each event handed over is processed or in hand."""
        return not any(channel.queue.qsize() for channel in self.app.topics)

    def _round_due(self, interval: float) -> bool:
        if self._acked_since_round.is_set() and self._caught_up():
            return True
        return monotonic() >= self._round_began + interval

    @Service.task
    async def _commit_handler(self) -> None:
        interval = self.commit_interval
        acked = self._acked_since_round
        await self.sleep(interval)
        while not self.should_stop:
            if not (acked.is_set() or any(self._acked.values())):
                await acked.wait()  # nothing to commit: sleep until an event is processed
            elif self._round_due(interval):
                acked.clear()
                self._round_began = began = monotonic()
                await self.commit()
                runtime = monotonic() - began
                if runtime > interval:
                    self.log.warning(SLOW_ROUND, interval, round(runtime, 3))
            else:
                await self.sleep(CATCH_UP_POLL)
