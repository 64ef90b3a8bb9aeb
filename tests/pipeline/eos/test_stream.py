"""The stream iterator: every event in order, in bursts, with the loop's turn between bursts."""
from __future__ import annotations

import asyncio

import faust
import pytest

from pipeline.eos.stream import EVENTS_PER_TURN, Stream


@pytest.fixture
def app() -> faust.App:
    return faust.App("test-stream", Stream="pipeline.eos.stream:Stream")


async def started(stream: Stream, consume) -> asyncio.Future:
    """``consume(stream)`` running, once the stream waits on its (cloned) channel."""
    task = asyncio.ensure_future(consume(stream))
    await asyncio.sleep(0.05)
    return task


async def test_queued_events_come_in_order_in_bursts_between_turns_of_the_loop(app) -> None:
    stream = app.stream(app.channel(maxsize=1_000))
    turns = 0
    seen: list[tuple[int, int]] = []

    async def consume(stream):
        async for value in stream:
            seen.append((value, turns))
            if value == 99:
                return

    async def other_task():
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    consuming = await started(stream, consume)
    for i in range(100):
        stream.channel.queue.put_nowait(i)
    other = asyncio.ensure_future(other_task())
    await asyncio.wait_for(consuming, 5)
    other.cancel()
    assert [value for value, _ in seen] == list(range(100))
    bursts = [sum(1 for _, turn in seen if turn == t) for t in sorted({turn for _, turn in seen})]
    assert max(bursts) <= EVENTS_PER_TURN  # the other task ran at least that often
    assert len(bursts) < 100 // 2  # and not after every event


async def test_an_error_thrown_into_the_channel_is_raised(app) -> None:
    stream = app.stream(app.channel(maxsize=10))

    async def consume(stream):
        async for _ in stream:
            pass

    consuming = await started(stream, consume)
    stream.channel.queue.put_nowait(1)
    await stream.channel.queue.throw(KeyError("from the channel"))
    with pytest.raises(KeyError, match="from the channel"):
        await asyncio.wait_for(consuming, 5)


async def test_a_stream_over_an_iterable_is_faust_s_own(app) -> None:
    assert [value async for value in app.stream([1, 2, 3])] == [1, 2, 3]
