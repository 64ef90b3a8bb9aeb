"""A commit's attachments in record batches: one per producer and partition, completed per message."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.record.default_records import DefaultRecordBatch
from aiokafka.structs import RecordMetadata, TopicPartition
from faust.types import FutureMessage

from pipeline.eos import batches as batches_module
from pipeline.eos.attachments import Record
from pipeline.eos.batches import RecordBatches
from pipeline.serde import bundle


class Producer:
    """The two calls of aiokafka's batch API, with submitted batches kept for the test."""

    def __init__(self, batch_size: int = 16_384) -> None:
        self.batch_size = batch_size
        self.sent: list[tuple[str, int, list, asyncio.Future]] = []

    def create_batch(self) -> BatchBuilder:
        return BatchBuilder(self.batch_size, 0, is_transactional=True)

    async def send_batch(self, builder: BatchBuilder, topic: str, *, partition: int) -> asyncio.Future:
        records = list(DefaultRecordBatch(bytes(builder._build())))
        delivered = asyncio.get_running_loop().create_future()
        self.sent.append((topic, partition, records, delivered))
        return delivered


class Sensors:
    def __init__(self) -> None:
        self.completed: list[tuple[str, int]] = []
        self.errors: list[str] = []

    def on_send_completed(self, producer, state, metadata: RecordMetadata) -> None:
        self.completed.append((state, metadata.offset))

    def on_send_error(self, producer, exc, state) -> None:
        self.errors.append(state)


def message(key: bytes, value: bytes = b"v", *, headers=None, timestamp=None, callback=None) -> FutureMessage:
    return FutureMessage(SimpleNamespace(key=key, value=value, headers=headers, timestamp=timestamp,
                                         callback=callback))


def batches() -> tuple[RecordBatches, Sensors]:
    sensors = Sensors()
    return RecordBatches(sensors, faust_producer=object()), sensors


def deliver(sent_batch, base_offset: int, timestamp: int = -1) -> None:
    topic, partition, _, delivered = sent_batch
    delivered.set_result(RecordMetadata(topic, partition, TopicPartition(topic, partition), base_offset,
                                        timestamp, 0, 0))


async def test_records_share_a_batch_per_producer_and_partition_in_write_order() -> None:
    one, two = Producer(), Producer()
    round_, _ = batches()
    round_.add(one, "stock-commands", 3, message(b"a"), "a")
    round_.add(two, "stock-commands", 3, message(b"b"), "b")
    round_.add(one, "order-events", 0, message(b"c"), "c")
    round_.add(one, "stock-commands", 3, message(b"d", headers={"dlq.reason": b"x"}), "d")
    futures = await round_.send()

    assert len(futures) == 3
    assert [(topic, partition, [r.key for r in records]) for topic, partition, records, _ in one.sent] == [
        ("stock-commands", 3, [b"a", b"d"]), ("order-events", 0, [b"c"])]
    assert [[r.key for r in records] for _, _, records, _ in two.sent] == [[b"b"]]
    assert [r.headers for r in one.sent[0][2]] == [[], [("dlq.reason", b"x")]]


async def test_a_full_batch_is_followed_by_another_for_the_same_partition() -> None:
    producer = Producer(batch_size=200)
    round_, _ = batches()
    for key in (b"k1", b"k2", b"k3", b"k4"):
        round_.add(producer, "orderflow-orders-changelog", 1, message(key, b"x" * 80), key)
    await round_.send()
    sent = [[r.key for r in records] for _, _, records, _ in producer.sent]
    assert len(sent) > 1
    assert [key for batch in sent for key in batch] == [b"k1", b"k2", b"k3", b"k4"]


async def test_a_delivered_batch_completes_each_message_with_its_own_offset() -> None:
    producer = Producer()
    round_, sensors = batches()
    called = []
    futs = [message(key, timestamp=12.5, callback=called.append) for key in (b"x", b"y", b"z")]
    for fut in futs:
        round_.add(producer, "orderflow-inventory-changelog", 2, fut, fut.message.key)
    (delivered,) = await round_.send()
    assert not any(fut.done() for fut in futs)

    deliver(producer.sent[0], base_offset=40)
    await asyncio.sleep(0)
    assert delivered.done()
    assert [fut.result().offset for fut in futs] == [40, 41, 42]
    assert {fut.result().timestamp for fut in futs} == {12_500}
    assert [fut.result().topic_partition for fut in futs] == [TopicPartition("orderflow-inventory-changelog", 2)] * 3
    assert called == futs
    assert sensors.completed == [(b"x", 40), (b"y", 41), (b"z", 42)]


class Table:
    """What a batch of changelog records tells its table."""

    def __init__(self) -> None:
        self.delivered: list[tuple[TopicPartition, int]] = []

    def on_changelog_delivered(self, tp: TopicPartition, offset: int) -> None:
        self.delivered.append((tp, offset))


async def test_a_batch_of_changelog_records_tells_its_table_the_offset_of_its_last_one() -> None:
    producer = Producer()
    round_, sensors = batches()
    table, topic = Table(), "orderflow-inventory-changelog"
    for key in (b"sku-1", b"sku-2", b"sku-3"):
        round_.add(producer, topic, 4, Record(topic, 4, key, key + b"=1", table=table), None)
    round_.add(producer, topic, 4, Record(topic, 4, b"sku-4", None, table=table), "tracked")
    await round_.send()
    ((_, _, records, _),) = producer.sent
    assert [(r.key, r.value) for r in records] == [
        (b"sku-1", b"sku-1=1"), (b"sku-2", b"sku-2=1"), (b"sku-3", b"sku-3=1"), (b"sku-4", None)]

    deliver(producer.sent[0], base_offset=90)
    await asyncio.sleep(0)
    assert table.delivered == [(TopicPartition(topic, 4), 93)]
    assert sensors.completed == [("tracked", 93)]


async def test_a_failed_batch_fails_each_of_its_messages() -> None:
    producer = Producer()
    round_, sensors = batches()
    futs = [message(b"p"), message(b"q")]
    for fut in futs:
        round_.add(producer, "order-outcomes", 0, fut, fut.message.key)
    await round_.send()

    producer.sent[0][3].set_exception(RuntimeError("broker gone"))
    await asyncio.sleep(0)
    for fut in futs:
        with pytest.raises(RuntimeError, match="broker gone"):
            fut.result()
    assert sensors.errors == [b"p", b"q"]
    assert sensors.completed == []


async def test_a_round_starts_empty_once_sent() -> None:
    producer = Producer()
    round_, _ = batches()
    round_.add(producer, "order-outcomes", 0, message(b"o"), None)
    await round_.send()
    assert await round_.send() == []
    assert len(producer.sent) == 1


async def test_bundled_messages_share_records_each_completed_with_its_records_metadata(monkeypatch) -> None:
    monkeypatch.setattr(batches_module, "MAX_BUNDLE_EVENTS", 2)
    producer = Producer()
    round_, sensors = batches()
    futs = [message(key, key * 3) for key in (b"a", b"b", b"c")]
    round_.add_bundles(producer, "orderflow-order-events", 1, [(fut, fut.message.key) for fut in futs])
    await round_.send()

    ((_, _, records, _),) = producer.sent
    assert [bundle.is_bundle(r.headers) for r in records] == [True, True]
    assert [list(bundle.unpack(r.value)) for r in records] == [[(b"a", b"aaa"), (b"b", b"bbb")], [(b"c", b"ccc")]]
    assert [r.key for r in records] == [b"a", b"c"]
    deliver(producer.sent[0], base_offset=7)
    await asyncio.sleep(0)
    assert [fut.result().offset for fut in futs] == [7, 7, 8]
    assert sensors.completed == [(b"a", 7), (b"b", 7), (b"c", 8)]


async def test_a_bundle_ends_before_it_outgrows_its_byte_limit(monkeypatch) -> None:
    monkeypatch.setattr(batches_module, "MAX_BUNDLE_BYTES", 100)
    producer = Producer()
    round_, _ = batches()
    futs = [message(b"k%d" % i, b"x" * 40) for i in range(5)]
    round_.add_bundles(producer, "orderflow-stock-commands", 0, [(fut, None) for fut in futs])
    await round_.send()
    records = [r for _, _, batch, _ in producer.sent for r in batch]
    sizes = [len(list(bundle.unpack(r.value))) for r in records]
    assert sum(sizes) == 5 and max(sizes) == 2


async def test_attached_records_share_a_bundle_with_a_future_which_alone_is_completed() -> None:
    producer = Producer()
    round_, sensors = batches()
    fut = message(b"b", b"bbb")
    items = [(Record("orderflow-order-events", None, b"a", b"aaa"), None), (fut, "b"),
             (Record("orderflow-order-events", None, b"c", b"ccc"), "c")]
    round_.add_bundles(producer, "orderflow-order-events", 1, items)
    await round_.send()
    ((_, _, (record,), _),) = producer.sent
    assert list(bundle.unpack(record.value)) == [(b"a", b"aaa"), (b"b", b"bbb"), (b"c", b"ccc")]

    deliver(producer.sent[0], base_offset=3)
    await asyncio.sleep(0)
    assert fut.result().offset == 3
    assert sensors.completed == [("b", 3), ("c", 3)]
