"""The fetch loop's hand-off: direct when nothing can wait, Faust's ``wait_first`` otherwise."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from faust.types import TP
from mode import Service
from mode.utils.queues import FlowControlEvent

from pipeline.eos.drain import DrainLoop

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
