"""The stack's broker against aiokafka: plain and transactional produce/consume."""
from __future__ import annotations

import asyncio
import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

#: Seconds a created topic may take to appear in the broker's metadata.
TOPIC_LISTED_WITHIN = 30.0


async def create_topic(bootstrap: str) -> str:
    name = f"stack-test-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)])
        # The broker answers CreateTopics before every metadata cache lists the
        # topic (KRaft propagates it asynchronously): wait for it, within reason.
        deadline = time.monotonic() + TOPIC_LISTED_WITHIN
        while name not in await admin.list_topics():
            assert time.monotonic() < deadline, f"{name} not listed {TOPIC_LISTED_WITHIN} s after its creation"
            await asyncio.sleep(0.1)
    finally:
        await admin.close()
    return name


async def read_all(bootstrap: str, topic: str, isolation_level: str) -> list[bytes]:
    """Every value up to the topic's end offset as seen with ``isolation_level``.

    For ``read_committed`` the end offset is the last stable offset, so an open transaction's
    records lie beyond it and are never waited for.
    """
    partition = TopicPartition(topic, 0)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                isolation_level=isolation_level)
    await consumer.start()
    try:
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        end = (await consumer.end_offsets([partition]))[partition]
        values = []
        while await consumer.position(partition) < end:
            batch = await consumer.getmany(partition, timeout_ms=1000)
            values += [record.value for record in batch.get(partition, [])]
        return values
    finally:
        await consumer.stop()


async def test_produce_and_consume(kafka_stack):
    topic = await create_topic(kafka_stack.bootstrap_servers)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_stack.bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"hello", key=b"k1")
    finally:
        await producer.stop()
    assert await read_all(kafka_stack.bootstrap_servers, topic, "read_uncommitted") == [b"hello"]


async def test_transactions_visible_only_after_commit(kafka_stack):
    bootstrap = kafka_stack.bootstrap_servers
    topic = await create_topic(bootstrap)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=f"tx-{topic}")
    await producer.start()
    try:
        await producer.begin_transaction()
        await producer.send_and_wait(topic, b"aborted")
        await producer.abort_transaction()

        await producer.begin_transaction()
        await producer.send_and_wait(topic, b"committed")
        assert await read_all(bootstrap, topic, "read_committed") == []
        await producer.commit_transaction()
    finally:
        await producer.stop()
    assert await read_all(bootstrap, topic, "read_committed") == [b"committed"]
    assert await read_all(bootstrap, topic, "read_uncommitted") == [b"aborted", b"committed"]
