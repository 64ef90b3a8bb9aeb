"""A Kafka transport whose transactions follow the *source* partition.

Faust's :class:`~faust.transport.consumer.TransactionManager` picks the
transactional producer of a send from the partition the message goes *to*
(``key_partition(topic, key)``). An agent that reads ``orders`` partition 0
and writes a stock command to partition 3 of another topic thus writes it in
the transaction of partition 3, while the offset of the order is committed in
the transaction of partition 0: a crash between the two commits replays the
order with its command already visible, or loses the command (upstream
faust-streaming #323, #517).

Here every message attached to a source event (``stream_publish_on_commit``)
is published while the consumer commits that event's partition, and the
transaction manager sends it through that partition's producer. Outputs,
changelog writes and the offset of one source partition thus share one
transaction.
"""
from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Awaitable, Mapping, Optional, Set

from faust.transport.consumer import TopicPartitionGroup
from faust.transport.consumer import TransactionManager as _TransactionManager
from faust.transport.drivers import aiokafka as _aiokafka
from faust.types import TP

#: The source partition whose attached messages are being published now.
publishing_for: ContextVar[Optional[TP]] = ContextVar("publishing_for", default=None)


class TransactionManager(_TransactionManager):
    """Routes each send to the transaction of the partition it came from."""

    def transactional_id_for(self, tp: TP) -> str:
        tpg = TopicPartitionGroup(tp.topic, tp.partition, self.app.assignor.group_for_topic(tp.topic))
        return self.transactional_id_format.format(group_id=self.app.conf.id, tpg=tpg)

    async def send(
        self,
        topic: str,
        key: Optional[bytes],
        value: Optional[bytes],
        partition: Optional[int],
        timestamp: Optional[float],
        headers: Any,
        *,
        transactional_id: Optional[str] = None,
    ) -> Awaitable[Any]:
        source = publishing_for.get()
        if source is None:
            # Not an attached message of a source event: Faust's own routing.
            return await super().send(topic, key, value, partition, timestamp, headers)
        return await self.producer.send(
            topic,
            key,
            value,
            self.consumer.key_partition(topic, key, partition),
            timestamp,
            headers,
            transactional_id=self.transactional_id_for(source),
        )


class Consumer(_aiokafka.Consumer):
    """Publishes attachments inside their source partition's transaction,
    in the order they were written (see :mod:`pipeline.eos.attachments`).

    Also drops the attachments of revoked partitions: their transaction is
    abandoned and the partition's next owner processes those events again,
    so publishing them later (were the partition to come back) would
    duplicate them.
    """

    async def _handle_attached(self, commit_offsets: Mapping[TP, int]) -> None:
        pending = []
        for _, tp, fut in self.app._attachments.take(commit_offsets):
            token = publishing_for.set(tp)
            try:
                pending.append(await fut.message.channel.publish_message(fut, wait=False))
            finally:
                publishing_for.reset(token)
        if pending:
            await self.app.producer.wait_many(pending)

    async def highwaters(self, *partitions: TP) -> Mapping[TP, int]:
        """The end offsets of ``partitions``, asked of the broker.

        Under ``exactly_once`` Faust answers from the consumer's cache of the
        last stable offset, which holds nothing for a partition not fetched
        yet: table recovery then takes a full changelog for an empty one and
        starts the worker with empty tables (upstream faust-streaming #432).
        A ListOffsets request of this read_committed consumer returns the
        last stable offset itself.
        """
        thread = self._thread
        return await thread.call_thread(thread._ensure_consumer().end_offsets, list(partitions))

    async def on_partitions_revoked(self, revoked: Set[TP]) -> None:
        for tp in revoked:
            self.app._attachments.discard(tp)
        await super().on_partitions_revoked(revoked)


class Transport(_aiokafka.Transport):
    """The aiokafka transport with source-partition transactions."""

    Consumer = Consumer
    TransactionManager = TransactionManager
