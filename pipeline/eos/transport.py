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

from pipeline.eos.recovery import discard_partition

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
    in the order they were written (see :mod:`pipeline.eos.attachments`),
    and commits before a rebalance revokes partitions.
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

    def ack(self, message: Any) -> bool:
        """Acknowledge a processed event; not one a stream skipped.

        Streams skip (and acknowledge) the events of an old generation after
        a rebalance and every event while the flow is suspended. Their
        offsets must not be committed: the events were not processed. They
        are marked done, so that nothing waits for them, and will be fetched
        again from the committed offset.
        """
        if message.generation_id != self.app.consumer_generation_id or not self.app.flow_control.is_active():
            message.acked = True
            self._unacked_messages.discard(message)
            return False
        return super().ack(message)

    async def commit(self, topics: Any = None, start_new_transaction: bool = True) -> bool:
        """Commit, unless the flow of events is suspended.

        While Faust suspends the flow (on revocation and at shutdown) its
        streams acknowledge the events they skip without processing them,
        and committing those offsets loses the events. Everything processed
        is committed before the flow is suspended (see
        :meth:`on_partitions_revoked` and :meth:`pipeline.app.App._stop_consumer`).
        """
        if not self.app.flow_control.is_active():
            return False
        return await super().commit(topics, start_new_transaction=start_new_transaction)

    async def drain(self) -> None:
        """Stop fetching, let the agents finish the events they hold, commit all of it."""
        self.stop_flow()
        self.pause_partitions(self.assignment())
        await self.wait_empty()

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
        """Commit what was processed before a rebalance takes it away.

        Faust forgets the acknowledged offsets of revoked partitions first
        and only then waits for its agents and commits, so under
        ``exactly_once`` the work done since the last commit is neither
        committed nor aborted: its transaction is left open until the next
        owner fences it, the offsets roll back, and the local store keeps
        writes the changelog never got (upstream faust-streaming #323, #502).
        Here fetching stops, the agents finish the events they hold, and all
        of it is committed before Faust's own revocation runs.
        """
        if revoked and self.in_transaction and not self.app.should_stop:
            await self.drain()
        await super().on_partitions_revoked(revoked)
        if self.in_transaction:
            self._discard_local_state(revoked)

    def _discard_local_state(self, revoked: Set[TP]) -> None:
        """Rebuild revoked table partitions from their changelogs when they come back.

        An agent can still finish an event after the drain's commit (the
        fetcher hands over what it already holds), and that event's table
        writes reach the local store while its transaction is abandoned: a
        partition kept across the rebalance would then resume from writes
        the changelog never got, and its events, redelivered, would find
        their effects already there and produce nothing. Restoring from the
        changelog (read_committed) makes the local store equal to what was
        committed, whatever happened during the rebalance.
        """
        for table in self.app.tables.values():
            changelog = table.changelog_topic.get_topic_name()
            for tp in revoked:
                if tp.topic == changelog:
                    discard_partition(table, tp.partition)

    async def on_partitions_assigned(self, assigned: Set[TP], generation_id: int = 0) -> None:
        """Start the new generation with no acknowledgement or attachment of the old.

        Everything the old generation processed was committed at revocation;
        anything acknowledged since (events a suspended stream skipped) or
        attached and not committed is redone from the committed offsets.
        """
        self._acked.clear()
        self._acked_index.clear()
        self._gap.clear()
        self.app._attachments.clear()
        await super().on_partitions_assigned(assigned, generation_id)


class Transport(_aiokafka.Transport):
    """The aiokafka transport with source-partition transactions."""

    Consumer = Consumer
    TransactionManager = TransactionManager
