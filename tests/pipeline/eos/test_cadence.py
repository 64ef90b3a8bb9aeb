"""When commit rounds start: as soon as the worker has caught up, at the latest after the interval.

The handler runs against a clock that only moves when it sleeps, so each
assertion is about when a round starts relative to the commit interval,
never about how fast this machine is.
"""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from types import SimpleNamespace

import pytest
from faust.types import TP

from pipeline.eos import cadence
from pipeline.eos.cadence import CATCH_UP_POLL, CommitCadence
from pipeline.eos.transport import Consumer

ORDERS = TP("orderflow-orders", 0)
INTERVAL = 0.1


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Cadence(CommitCadence):
    """The state the commit handler reads: one stream buffer, the acknowledged offsets."""

    def __init__(self, clock: Clock, *, keep_acked: bool = False) -> None:
        self.clock = clock
        self.commit_interval = INTERVAL
        self.buffer: asyncio.Queue = asyncio.Queue()
        self.app = SimpleNamespace(topics=[SimpleNamespace(queue=self.buffer)])
        self._acked: defaultdict[TP, list] = defaultdict(list)
        self.keep_acked = keep_acked
        self.should_stop = False
        self.log = logging.getLogger(__name__)
        self.rounds: list[float] = []
        self._init_cadence()

    async def sleep(self, seconds: float) -> None:
        self.clock.now += seconds
        await asyncio.sleep(0)

    async def commit(self) -> bool:
        self.rounds.append(self.clock.now)
        if not self.keep_acked:  # committed; else not committable yet
            self._acked.clear()
        return not self.keep_acked

    def ack(self, offset: int) -> None:
        self._acked[ORDERS].append(offset)
        self._on_acked()


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(cadence, "monotonic", clock)
    return clock


async def running(turns: int = 200) -> None:
    """Let the handler take ``turns`` turns of the event loop."""
    for _ in range(turns):
        await asyncio.sleep(0)


@pytest.fixture
async def handler(clock):
    tasks = []

    async def start(state: Cadence) -> Cadence:
        tasks.append(asyncio.ensure_future(Consumer._commit_handler.fun(state)))
        await running(5)  # past its first sleep
        return state

    yield start
    for task in tasks:
        task.cancel()


def test_the_consumer_commits_on_this_cadence() -> None:
    assert Consumer._commit_handler is CommitCadence._commit_handler


async def test_an_idle_worker_starts_no_round(clock, handler) -> None:
    state = await handler(Cadence(clock))
    started = clock.now
    await running()
    assert state.rounds == [] and clock.now == started  # it waits for an acknowledgement, without polling


async def test_a_worker_that_has_caught_up_commits_at_once(clock, handler) -> None:
    state = await handler(Cadence(clock))
    acked_at = clock.now
    state.ack(7)
    await running()
    assert state.rounds == [acked_at]


async def test_while_events_wait_in_a_buffer_the_round_comes_after_the_interval(clock, handler) -> None:
    state = await handler(Cadence(clock))
    state.ack(7)
    await running()
    last_round = state.rounds[-1]
    state.buffer.put_nowait("an event not processed yet")
    state.ack(8)
    await running(10)
    assert state.rounds == [last_round]
    await running()
    assert len(state.rounds) == 2
    assert state.rounds[1] == pytest.approx(last_round + INTERVAL, abs=CATCH_UP_POLL * 1.01)


async def test_offsets_left_uncommittable_are_tried_again_every_interval(clock, handler) -> None:
    state = await handler(Cadence(clock, keep_acked=True))
    state.ack(7)
    await running(400)
    assert len(state.rounds) >= 3
    gaps = [later - earlier for earlier, later in zip(state.rounds, state.rounds[1:])]
    assert all(gap == pytest.approx(INTERVAL, abs=CATCH_UP_POLL * 1.01) for gap in gaps)
