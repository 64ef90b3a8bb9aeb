"""The fetch loop's hand-off: direct when nothing can wait, Faust's ``wait_first`` otherwise."""
from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from types import SimpleNamespace

import pytest
from faust.types import TP
from mode import Service
from mode.utils.queues import FlowControlEvent

from pipeline.eos.drain import DrainLoop
from pipeline.eos.stream import EVENTS_PER_TURN

TP0 = TP("orderflow-orders", 0)


class Consumer(DrainLoop, Service):
    """The parts of a Faust consumer the hand-off uses; one stream buffer of one message."""

    def __init__(self) -> None:
        super().__init__()
        self.suspend_flow = asyncio.Event()
        flow_control = FlowControlEvent(initially_suspended=False)
        self.buffer: asyncio.Queue = asyncio.Queue(maxsize=1)
        self.app = SimpleNamespace(
            flow_control=flow_control,
            producer=SimpleNamespace(buffer=SimpleNamespace(size=0, max_messages=100)),
            topics=SimpleNamespace(
                _tp_to_callback_lock=asyncio.Lock(),
                _tp_index={TP0: [SimpleNamespace(queue=self.buffer)]},
            ),
        )
        self.waited_first = 0

    async def callback(self, message: str) -> None:
        """What ``Conductor.on_message`` can wait for: flow control and room in the buffer."""
        await self.app.flow_control.acquire()
        await self.buffer.put(message)

    async def wait_first(self, *coros, **kwargs):
        self.waited_first += 1
        return await super().wait_first(*coros, **kwargs)


async def test_a_message_with_room_is_handed_over_directly() -> None:
    consumer = Consumer()
    await consumer._hand_over(TP0, "m1")
    assert consumer.buffer.get_nowait() == "m1"
    assert consumer.waited_first == 0


async def hand_over_to_a_full_buffer(consumer: Consumer) -> asyncio.Future:
    """Fill the buffer with m1, then start handing over m2, which must wait."""
    await consumer._hand_over(TP0, "m1")
    handing = asyncio.ensure_future(consumer._hand_over(TP0, "m2"))
    await asyncio.sleep(0.05)
    assert not handing.done()
    return handing


async def test_a_full_buffer_waits_for_room() -> None:
    consumer = Consumer()
    handing = await hand_over_to_a_full_buffer(consumer)
    assert consumer.buffer.get_nowait() == "m1"
    await asyncio.wait_for(handing, 1)
    assert consumer.buffer.get_nowait() == "m2"
    assert consumer.waited_first == 1


async def test_a_full_buffer_gives_way_when_a_rebalance_suspends_the_flow() -> None:
    consumer = Consumer()
    handing = await hand_over_to_a_full_buffer(consumer)
    consumer.suspend_flow.set()
    consumer.app.flow_control.suspend()
    await asyncio.wait_for(handing, 1)
    assert consumer.buffer.qsize() == 1 and consumer.buffer.get_nowait() == "m1"


@pytest.mark.parametrize("block", ["suspended", "producer buffer", "resubscribing"])
async def test_a_hand_off_that_could_wait_goes_through_wait_first(block: str) -> None:
    consumer = Consumer()
    if block == "suspended":
        consumer.suspend_flow.set()
    elif block == "producer buffer":
        consumer.app.producer.buffer.size = 101
    else:
        await consumer.app.topics._tp_to_callback_lock.acquire()
    await asyncio.wait_for(consumer._hand_over(TP0, "m1"), 1)
    assert consumer.waited_first == 1


class FetchingConsumer(Consumer):
    """A consumer whose one fetch returns ``count`` messages of TP0, then stops the loop."""

    consumer_stopped_errors = ()

    def __init__(self, count: int) -> None:
        super().__init__()
        self.buffer = asyncio.Queue()
        self.app.topics._tp_index = {TP0: [SimpleNamespace(queue=self.buffer)]}
        self.diag = SimpleNamespace(set_flag=lambda flag: None, unset_flag=lambda flag: None)
        self._read_offset = defaultdict(lambda: None)
        self._commit_every = None
        self.fetcher = Service()
        self.count = count

    async def getmany(self, timeout: float):
        for offset in range(self.count):
            yield TP0, SimpleNamespace(offset=offset)
        self.fetcher._stopped.set()

    async def callback(self, message) -> None:
        await super().callback(message.offset)


async def test_the_fetch_loop_gives_the_event_loop_a_turn_every_few_messages() -> None:
    consumer = FetchingConsumer(count=100)
    turns = 0
    handed_over_at: list[int] = []

    async def other_task():
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    real_callback = consumer.callback

    async def callback(message) -> None:
        handed_over_at.append(turns)
        await real_callback(message)

    consumer.callback = callback
    other = asyncio.ensure_future(other_task())
    await asyncio.wait_for(consumer._drain_messages(consumer.fetcher), 5)
    other.cancel()
    assert [consumer.buffer.get_nowait() for _ in range(100)] == list(range(100))
    runs = Counter(handed_over_at)
    assert max(runs.values()) <= EVENTS_PER_TURN  # the other task ran as often as a stream lets it
    assert len(runs) < 100 // 2  # and not after every message
