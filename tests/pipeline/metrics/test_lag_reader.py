"""Consumer lag on the real broker, with transactions: markers and aborts do not count.

A group caught up on a transactional topic has committed the offset after its
last record, one short of the end (the commit marker takes an offset); after
an aborted transaction the gap is larger still. The reader must call both 0,
and the full gap as soon as one committed record waits.
"""
from __future__ import annotations

import asyncio
import socket
import time
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from confluent_kafka import ConsumerGroupTopicPartitions, IsolationLevel, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic, OffsetSpec

from pipeline.metrics.lag import LagError, LagReader


@pytest.fixture
def topic(kafka_stack):
    name = f"lag-reader-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": kafka_stack.bootstrap_servers})
    admin.create_topics([NewTopic(name, 2, 1)])[name].result(30)
    return name


async def transaction(settings, topic: str, partition: int, count: int, *, commit: bool) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers,
                                transactional_id=f"lag-reader-{uuid.uuid4().hex}")
    await producer.start()
    try:
        await producer.begin_transaction()
        for n in range(count):
            last = await producer.send_and_wait(topic, f"record {n}".encode(), key=b"k", partition=partition)
        await (producer.commit_transaction() if commit else producer.abort_transaction())
    finally:
        await producer.stop()
    wait_for_marker(settings, topic, partition, last.offset + 2)


def wait_for_marker(settings, topic: str, partition: int, end: int, timeout: float = 30.0) -> None:
    """Wait until the partition's last stable offset is ``end``.

    The broker answers a commit or an abort once the transaction's outcome
    is logged, and writes its markers after: until then the transaction is
    still open for a ``read_committed`` reader, and the end offset it sees
    stops at the transaction's first record.
    """
    admin = AdminClient({"bootstrap.servers": settings.bootstrap_servers})
    tp = TopicPartition(topic, partition)
    deadline = time.monotonic() + timeout
    while True:
        futures = admin.list_offsets({tp: OffsetSpec.latest()}, isolation_level=IsolationLevel.READ_COMMITTED)
        stable = next(iter(futures.values())).result(10).offset
        if stable >= end:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{topic}[{partition}]: last stable offset {stable}, not {end}, after {timeout:.0f} s")
        time.sleep(0.05)


def commit_offset(settings, group: str, topic: str, partition: int, offset: int) -> None:
    admin = AdminClient({"bootstrap.servers": settings.bootstrap_servers})
    request = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, partition, offset)])
    admin.alter_consumer_group_offsets([request])[group].result(30)


def lag_of(reader: LagReader, group: str, topic: str) -> dict[int, tuple]:
    return {row.partition: (row.committed, row.end, row.lag) for row in reader.read(group, [topic])}


def test_markers_and_aborted_records_are_not_lag(kafka_stack, topic):
    group = f"lag-reader-{uuid.uuid4().hex[:8]}"
    reader = LagReader(kafka_stack.bootstrap_servers)
    try:
        asyncio.run(transaction(kafka_stack, topic, 0, 3, commit=True))  # records 0-2, marker 3
        commit_offset(kafka_stack, group, topic, 0, 3)
        assert lag_of(reader, group, topic) == {0: (3, 4, 0), 1: (None, 0, 0)}

        asyncio.run(transaction(kafka_stack, topic, 0, 5, commit=False))  # aborted 4-8, marker 9
        assert lag_of(reader, group, topic)[0] == (3, 10, 0)
        assert lag_of(LagReader(kafka_stack.bootstrap_servers), group, topic)[0] == (3, 10, 0)

        asyncio.run(transaction(kafka_stack, topic, 0, 2, commit=True))  # records 10-11, marker 12
        asyncio.run(transaction(kafka_stack, topic, 1, 2, commit=True))  # never committed by the group
        assert lag_of(reader, group, topic) == {0: (3, 13, 10), 1: (None, 3, 3)}

        commit_offset(kafka_stack, group, topic, 0, 12)
        commit_offset(kafka_stack, group, topic, 1, 2)
        assert lag_of(reader, group, topic) == {0: (12, 13, 0), 1: (2, 3, 0)}
    finally:
        reader.close()


def test_plain_records_after_the_committed_offset_are_lag(kafka_stack, topic):
    group = f"lag-reader-{uuid.uuid4().hex[:8]}"

    async def send_plain(count: int) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=kafka_stack.bootstrap_servers)
        await producer.start()
        try:
            for n in range(count):
                await producer.send_and_wait(topic, b"plain", key=b"k", partition=0)
        finally:
            await producer.stop()

    asyncio.run(send_plain(4))
    commit_offset(kafka_stack, group, topic, 0, 1)
    reader = LagReader(kafka_stack.bootstrap_servers)
    try:
        assert lag_of(reader, group, topic)[0] == (1, 4, 3)
        commit_offset(kafka_stack, group, topic, 0, 4)
        assert lag_of(reader, group, topic)[0] == (4, 4, 0)
    finally:
        reader.close()


def test_an_unreachable_broker_is_a_lag_error_naming_the_group_and_the_servers():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        servers = f"127.0.0.1:{sock.getsockname()[1]}"  # bound, never listening
        reader = LagReader(servers, timeout=2)
        with pytest.raises(LagError, match=rf"group 'orderflow' from {servers}: no answer in 2 s"):
            reader.read("orderflow")
