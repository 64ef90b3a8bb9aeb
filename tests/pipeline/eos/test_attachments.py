"""Attached messages: taken in write order, one per changelog key, and bounded in number."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

import faust
import pytest
from faust.types import TP, FutureMessage

from pipeline.eos import attachments as attachments_module
from pipeline.eos.attachments import OrderedAttachments, Record
from pipeline.eos.stream import Stream
from pipeline.eos.tables import TransactionalTable

SOURCE_A, SOURCE_B = TP("stock", 0), TP("stock-commands", 0)


@pytest.fixture
def app() -> faust.App:
    app = faust.App("test-attachments", Stream=Stream, Table=TransactionalTable)
    app._attachments = OrderedAttachments(app)
    return app


def source(tp: TP, offset: int) -> SimpleNamespace:
    return SimpleNamespace(tp=tp, offset=offset)


def taken(app, offsets) -> list[tuple[str, bytes]]:
    return [(item.topic, item.value) for _, item in app._attachments.take(offsets)]


async def test_a_commit_takes_what_its_offsets_cover_in_write_order_across_partitions(app) -> None:
    put = app._attachments.put
    put(source(SOURCE_A, 10), "out", b"k", b"1")
    put(source(SOURCE_B, 5), "out", b"k", b"2")
    put(source(SOURCE_A, 11), "out", b"k", b"3")
    put(source(SOURCE_B, 6), "out", b"k", b"4")

    assert taken(app, {SOURCE_A: 12, SOURCE_B: 6}) == [("out", b"1"), ("out", b"2"), ("out", b"3")]
    assert taken(app, {SOURCE_A: 12, SOURCE_B: 7}) == [("out", b"4")]


async def test_of_several_writes_of_a_changelog_key_only_the_last_is_taken(app) -> None:
    table = app.Table("stock-levels", default=int)
    attached = app._attachments
    attached.put_changelog(source(SOURCE_A, 1), table, b"sku-1", b"5", 0)
    attached.put_changelog(source(SOURCE_B, 1), table, b"sku-1", b"4", 0)
    attached.put_changelog(source(SOURCE_A, 2), table, b"sku-2", b"9", 0)
    attached.put_changelog(source(SOURCE_A, 2), table, b"sku-2", b"8", 1)
    attached.put(source(SOURCE_A, 2), "out", b"sku-1", b"a")
    attached.put(source(SOURCE_A, 2), "out", b"sku-1", b"b")

    name = table.changelog_topic.get_topic_name()
    assert taken(app, {SOURCE_A: 3, SOURCE_B: 2}) == [
        (name, b"4"), (name, b"9"), (name, b"8"), ("out", b"a"), ("out", b"b"),
    ]


async def test_room_closes_at_the_bound_and_opens_once_a_commit_takes_below_it(app, monkeypatch) -> None:
    monkeypatch.setattr(attachments_module, "MAX_PENDING", 3)
    attached = app._attachments
    for offset in range(3):
        assert attached.room.is_set()
        attached.put(source(SOURCE_A, offset), "out", None, b"v")
    assert not attached.room.is_set()

    attached.take({SOURCE_A: 1})
    assert attached.room.is_set()
    attached.put(source(SOURCE_A, 3), "out", None, b"v")
    assert not attached.room.is_set()

    attached.clear()
    assert attached.room.is_set()


async def test_a_stream_waits_while_the_attachments_are_full_and_goes_on_once_there_is_room(app) -> None:
    stream = app.stream(app.channel(maxsize=10))
    seen: list[int] = []

    async def consume() -> None:
        async for value in stream:
            seen.append(value)
            if value == 2:
                return

    app._attachments.room.clear()
    consuming = asyncio.ensure_future(consume())
    await asyncio.sleep(0.05)
    for value in range(3):
        stream.channel.queue.put_nowait(value)
    await asyncio.sleep(0.1)
    assert seen == []

    app._attachments.room.set()
    await asyncio.wait_for(consuming, 5)
    assert seen == [0, 1, 2]


async def test_an_output_is_attached_encoded_and_one_sent_with_a_callback_as_a_future(app) -> None:
    topic = app.topic("outcomes", key_serializer="raw", value_serializer="json")
    attached = app._attachments
    record = attached.put(source(SOURCE_A, 1), topic, "o-1", {"status": "CONFIRMED"}, headers={"h": b"1"})
    fut = attached.put(source(SOURCE_A, 1), topic, "o-2", {"status": "REJECTED"}, callback=print)

    assert isinstance(record, Record) and record.message is record
    assert (record.topic, record.key, record.value, record.headers) == (
        "outcomes", b"o-1", b'{"status":"CONFIRMED"}', {"h": b"1"})
    assert isinstance(fut, FutureMessage) and fut.message.callback is print
    assert [item for _, item in attached.take({SOURCE_A: 2})] == [record, fut]
