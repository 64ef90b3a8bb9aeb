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

A rebalance abandons every open transaction instead of committing it. Faust
drops the acknowledgements of revoked partitions before its last commit,
and the events its streams skip while flow is suspended (or that belong to
an older generation) are acknowledged unprocessed, so the offsets it would
commit then are not the offsets of the work it publishes (upstream
faust-streaming #502, #517). So from the revocation to the new assignment
no commit starts, acknowledgements of such events are not recorded, and at
the assignment the attachments, the buffered table writes and the
acknowledgements of the old generation are dropped: the producers of the
new assignment fence the old transactions, and the events are consumed
again from the committed offsets.
"""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from time import monotonic
from typing import Any, AsyncIterator, Iterable, Mapping, Optional, Set, Tuple

from aiokafka.errors import ProducerFenced
from faust.exceptions import ProducerSendError
from faust.transport.consumer import TopicPartitionGroup, ensure_TP
from faust.transport.consumer import TransactionManager as _TransactionManager
from faust.transport.drivers import aiokafka as _aiokafka
from faust.types import TP, Message
from mode import Service
from mode.utils.futures import notify

from pipeline.eos.attachments import Attached, Record
from pipeline.eos.backoff import shorten_concurrent_transactions_backoff
from pipeline.eos.batches import RecordBatches
from pipeline.eos.cadence import CommitCadence
from pipeline.eos.drain import DrainLoop
from pipeline.eos.partitioner import key_partition
from pipeline.eos.send_sensors import SendSensors

log = logging.getLogger(__name__)

#: Seconds without a record of a partition after which its fetch position is
#: reported to table recovery (see :meth:`Consumer.position`).
POSITION_SETTLE_SECONDS = 6.0
#: Keyed destinations whose partition is remembered (see :meth:`TransactionManager.partition_of`):
#: ~150 bytes each (200,000 of them took 29 MiB; a worker seeded with 1,000,000 skus routes them all).
PARTITION_CACHE_SIZE = 20_000
#: Seconds between runs of Faust's livelock check: its cadence at Faust's own
#: default commit interval (2.5 x 2.8 s), whatever the commit interval is.
LIVELOCK_CHECK_INTERVAL = 7.0


class TransactionManager(_TransactionManager):
    """Routes each send to the transaction of the partition it came from."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: source partition -> its transactional id (one per topic group and partition number)
        self._tids: dict[TP, str] = {}
        #: (topic, key) -> its partition, for keyed messages sent without one
        self._partitions: dict[tuple[str, bytes], int] = {}

    def transactional_id_for(self, tp: TP) -> str:
        tid = self._tids.get(tp)
        if tid is None:
            tpg = TopicPartitionGroup(tp.topic, tp.partition, self.app.assignor.group_for_topic(tp.topic))
            tid = self._tids[tp] = self.transactional_id_format.format(group_id=self.app.conf.id, tpg=tpg)
        return tid

    async def on_rebalance(self, assigned: Set[TP], revoked: Set[TP], newly_assigned: Set[TP]) -> None:
        # Topic groups come with each assignment, and so may new partitions.
        self._tids.clear()
        self._partitions.clear()
        await super().on_rebalance(assigned, revoked, newly_assigned)

    async def publish(self, attached: Iterable[Tuple[TP, Attached]],
                      changelogs: Iterable[Tuple[Any, Mapping]] = ()) -> list[asyncio.Future]:
        """Append a commit's attached messages and changelog records to the batches of their source's transaction.

        ``attached`` is ``(source partition, message)`` in write order. Each
        message goes to the transactional producer of its source partition,
        in a record batch of its destination partition
        (:mod:`pipeline.eos.batches`); nothing here yields to the event loop
        until the batches are submitted, so each producer sends them together
        when the commit flushes. Messages to the app's ``bundled_topics`` go
        in bundle records, per producer and partition (see
        :mod:`pipeline.serde.bundle`). (Faust's ``Topic.publish_message`` would first
        await ``App.maybe_start_producer``, a ``mode`` ``@stampede`` coroutine
        that sleeps three times per call: the producer's sender then shipped
        almost every record in a produce request of its own, 1.4 records per
        batch.) Returns the futures of the batches' delivery; a message sent
        with a callback is completed when its batch is delivered, and a
        delivered batch of changelog records files its table's offset.

        ``changelogs`` holds ``(table, records)`` per table whose store's
        buffered writes are its changelog (:meth:`pipeline.eos.manager.TableManager.changelogs`);
        each record goes to the transaction of the source partition whose event wrote it.
        """
        faust_producer = self.producer
        sensors = SendSensors(self.app.sensors)
        batches = RecordBatches(sensors, faust_producer)
        bundled = self.app.bundled_topics
        #: (producer, topic, partition) -> messages of a bundled topic, in write order
        bundles: defaultdict[tuple, list] = defaultdict(list)
        #: (source topic, topic) -> messages, for the sensors that count rounds
        counts: dict[tuple[str, str], int] = {}
        each = bool(sensors.each)
        producer_of = self._producer_of
        for source, item in attached:
            producer = producer_of(source)
            message = item.message
            topic = item.topic if isinstance(item, Record) else message.channel.get_topic_name()
            partition = message.partition
            if partition is None:
                partition = self.partition_of(topic, message.key)
            state = sensors.on_send_initiated(faust_producer, topic, item) if each else None
            if topic in bundled:
                bundles[producer, topic, partition].append((item, state))
            else:
                batches.add(producer, topic, partition, item, state)
            counted = (source.topic, topic)
            counts[counted] = counts.get(counted, 0) + 1
        for table, records in changelogs:
            topic = table.changelog_name
            for (partition, key), (_, source, value) in records.items():
                state = (sensors.on_send_initiated(faust_producer, topic, Record(topic, partition, key, value))
                         if each else None)
                batches.add_changelog(producer_of(source), table, topic, partition, key, value, state)
                counted = (source.topic, topic)
                counts[counted] = counts.get(counted, 0) + 1
        sensors.on_messages_published(counts)
        for (producer, topic, partition), messages in bundles.items():
            batches.add_bundles(producer, topic, partition, messages)
        return await batches.send()

    def _producer_of(self, source: TP) -> Any:
        """The transactional producer of ``source``'s transaction."""
        tid = self.transactional_id_for(source)
        producer = self.producer._transaction_producers.get(tid)
        if producer is None:
            raise ProducerSendError(f"no transactional producer {tid!r} for the attachments of {source}")
        return producer

    def partition_of(self, topic: str, key: Optional[bytes]) -> Optional[int]:
        """The partition the default partitioner gives ``key`` on ``topic``, remembered.

        A look-up is a metadata read (aiokafka copies the topic's partitions
        into a set) and a hash (:mod:`pipeline.eos.partitioner`), ~1 us, and a
        saga sends to the same keys again and again: an order's replies and
        outcome to its orderId, commands to their skus. Changelog records come
        with their partition and skip this.
        """
        if key is None:
            return self.consumer.key_partition(topic, None)
        partition = self._partitions.get((topic, key))
        if partition is None:
            partition = self.consumer.key_partition(topic, key)
            if partition is not None:
                if len(self._partitions) >= PARTITION_CACHE_SIZE:
                    self._partitions.clear()
                self._partitions[topic, key] = partition
        return partition

    async def commit_each(self, offsets: Mapping[TP, int], start_new_transaction: bool = True) -> dict[TP, int]:
        """Commit the transactions of ``offsets`` concurrently; returns what committed.

        Faust commits one transactional producer after the other, and reports
        success for all of them even when one of them was fenced or missing,
        which would apply the table writes of a transaction that never
        committed. Each transaction here is committed on its own, and only
        the offsets of those that did are returned.
        """
        by_tid: defaultdict[str, dict[TP, int]] = defaultdict(dict)
        for tp, offset in offsets.items():
            by_tid[self.transactional_id_for(tp)][tp] = offset
        tids = list(by_tid)
        results = await asyncio.gather(
            *(self._commit_one(tid, by_tid[tid], start_new_transaction) for tid in tids),
            return_exceptions=True,
        )
        committed: dict[TP, int] = {}
        for tid, result in zip(tids, results):
            if result is True:
                committed.update(by_tid[tid])
            elif isinstance(result, BaseException):
                log.error("commit of transaction %s failed: %r", tid, result)
                await self.app.crash(result)
        return committed

    async def _commit_one(self, tid: str, offsets: Mapping[TP, int], start_new_transaction: bool) -> bool:
        producer = self.producer
        if tid not in producer._transaction_producers:
            log.warning("no producer for transaction %s: offsets %r stay uncommitted", tid, dict(offsets))
            return False
        try:
            await producer.commit_transactions({tid: offsets}, self.app.conf.id, start_new_transaction)
        except ProducerFenced:
            # Another worker owns these partitions now: it redoes the work.
            log.warning("transaction %s was fenced: offsets %r stay uncommitted", tid, dict(offsets))
            return False
        return True


class Consumer(CommitCadence, DrainLoop, _aiokafka.Consumer):
    """Publishes attachments inside their source partition's transaction,
    in the order they were written (see :mod:`pipeline.eos.attachments`),
    applies buffered table writes once their transaction commits, and
    abandons all uncommitted work at a rebalance. Its fetch loop is
    :class:`pipeline.eos.drain.DrainLoop`'s, and its commit timer
    :class:`pipeline.eos.cadence.CommitCadence`'s.
    """

    _fenced = False
    #: (offsets, changelog records) of the commit round being published, for :meth:`_commit_offsets`
    _published: Optional[Tuple[dict, list]] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: tp -> (generation, offset) of the last message handed to the streams
        self._delivered: dict[TP, Tuple[int, int]] = {}
        #: tp -> when its last message was handed over, in this generation
        self._arrived_at: dict[TP, float] = {}
        #: stream tp -> (first offset handed over in this generation while its
        #: committed offset was unknown, next offset expected before it), see :meth:`_refill`
        self._unanchored: dict[TP, Tuple[int, Optional[int]]] = {}
        self._generation_started = monotonic()
        self._init_cadence()

    async def getmany(self, timeout: float) -> AsyncIterator[Tuple[TP, Message]]:
        """Faust's fetch loop, each message admitted by :meth:`_admit` first.

        Once every record of a fetch has been handed over, table recovery is
        told (:meth:`pipeline.eos.recovery.Recovery.on_fetched`), unless the
        flow stopped or the generation changed under the fetch, which leaves
        fetched records undelivered.
        """
        generation = self.app.consumer_generation_id
        async for tp, message in super().getmany(timeout):
            if self._admit(tp, message):
                yield tp, message
        recovery = self.app.tables.recovery
        if recovery.restoring and self.flow_active and self.app.consumer_generation_id == generation:
            await recovery.on_fetched(self)

    def _admit(self, tp: TP, message: Message) -> bool:
        """Whether to hand ``message`` over; records the gap before it if so.

        Under ``read_committed`` offsets skip transaction markers and aborted
        records, and Faust counts such a gap as acknowledged. It measures the
        gap from the last offset it *read*, which survives a rebalance, a seek
        back and a cancelled hand-off, so a gap can swallow events never
        processed, and even the message itself; and it drops re-fetched
        messages below that offset. Here a gap is only what lies strictly
        between two consecutive messages of one consumer generation, or
        between the committed offset (where every generation starts reading)
        and its first message.

        A message of a stream partition is handed over once per generation:
        Faust's recovery seeks the stream partitions to their committed
        offsets while they are already being fetched and processed
        (``on_recovery_completed``: resume, then ``perform_seek``; upstream
        faust-streaming #596), and the records fetched again behind that seek
        were processed a second time, their outputs published twice. Each one
        handed over before is in a stream buffer, being processed, or
        acknowledged. Changelog partitions are sought back on purpose (table
        recovery), and their records come again; so do those of a stream
        partition that lay before its first record handed over (:meth:`_refill`).
        """
        previous = self._delivered.get(tp)
        same_generation = previous is not None and previous[0] == message.generation_id
        if same_generation and message.offset > previous[1]:
            start: Optional[int] = previous[1] + 1
        elif same_generation and self.app.topics.acks_enabled_for(tp.topic):
            return self._refill(tp, message.offset)
        else:
            # The first message of a generation, or of a changelog seek:
            # Faust would drop it as below the last offset it read.
            start = self._committed_offset.get(tp)
            self._read_offset[tp] = None
            if start is None and self.app.topics.acks_enabled_for(tp.topic):
                self._unanchored[tp] = (message.offset, None)
        if start is not None and message.offset > start:
            self._gap[tp].addi(start, message.offset)
        self._delivered[tp] = (message.generation_id, message.offset)
        self._arrived_at[tp] = monotonic()
        return True

    def _refill(self, tp: TP, offset: int) -> bool:
        """Whether a stream partition's record fetched again in this generation is new.

        It is when it lies before the generation's first record handed over
        while the partition's committed offset was unknown: the streams can
        run before the recovery's :meth:`perform_seek` learns that offset, and
        the gap before such a first record could not be told. Records before
        it may have been fetched and dropped, or be transaction markers and
        aborted records. The seek fetches from the committed offset again:
        the records before the first one are handed over now, with the gaps
        between them, up to the first one. Without this, a partition whose
        first records were aborted (a worker's transaction abandoned at the
        start-up rebalance) would never commit again: its run of acknowledged
        offsets would not start at the committed one (:meth:`_new_offset`).
        A seek whose own fetch returned the first record fetches nothing
        again; :meth:`_seek_unanchored` makes it.
        """
        unanchored = self._unanchored.get(tp)
        committed = self._committed_offset.get(tp)
        if unanchored is None or committed is None:
            return False
        first, expected = unanchored
        if expected is None:
            expected = committed
        if offset >= first:
            # The seek's fetch reached the first record: the gap before it is known.
            if first > expected:
                self._gap[tp].addi(expected, first)
            del self._unanchored[tp]
            return False
        if offset < expected:
            return False
        if offset > expected:
            self._gap[tp].addi(expected, offset)
        self._unanchored[tp] = (first, offset + 1)
        self._read_offset[tp] = None
        self._arrived_at[tp] = monotonic()
        return True

    async def perform_seek(self) -> None:
        """Seek every partition to its committed offset, never moving a committed offset back.

        The committed offsets are read one partition after another while the
        streams run (see :meth:`_admit`); a commit of this worker can finish
        in between, and Faust then recorded the older offset it had read.
        The events between the two were never acknowledged again, and the
        commit of that partition waited for them forever.

        aiokafka's ``seek_to_committed`` leaves a partition without a
        committed offset (or committed at 0) where its fetch position is. But
        Faust calls this seek to take back records it fetched and dropped
        (``getmany`` while the flow is suspended, a fetch cut short by a new
        generation): such a partition then went on after the dropped records,
        and since nothing was committed there, its first commit took them as
        done. Seen after the start-up rebalance of two workers: ``orders``
        offsets 0-4 of a partition committed, never routed. Stream partitions
        without a committed offset are sought to their first offset here, and
        that offset becomes their committed one for :meth:`_new_offset`.

        Each partition's committed offset is recorded as soon as it is sought
        (aiokafka's seeks happen before ``seek_to_committed`` returns), not
        after the requests that follow: the records its new fetch returns can
        be handed over meanwhile, and :meth:`_refill` reads from that offset.
        """
        committed = {ensure_TP(tp): offset for tp, offset in (await self.seek_to_committed()).items()}
        self._read_offset.update({tp: offset if offset is not None and offset >= 0 else None
                                  for tp, offset in committed.items()})
        unsought = [tp for tp, offset in committed.items()
                    if not offset and self.app.topics.acks_enabled_for(tp.topic)]
        self._learn_committed({tp: offset for tp, offset in committed.items() if tp not in unsought})
        if unsought:
            starts = {ensure_TP(tp): offset for tp, offset in (await self.earliest_offsets(*unsought)).items()}
            for tp in unsought:
                start = max(starts[tp], self._committed_offset.get(tp) or 0)
                self._learn_committed({tp: start})
                await self.seek(tp, start)
        await self._seek_unanchored()

    async def _seek_unanchored(self) -> None:
        """Fetch again from its committed offset each partition whose first record came before it was known.

        :meth:`_refill` learns what lay before such a record from the fetch
        that the seek to the committed offset starts. But ``seek_to_committed``
        asks for every partition's offset before it returns, and the fetch of
        a partition sought early can return meanwhile; when the seek landed
        while that fetch was in flight from the very same offset, aiokafka
        keeps its records and fetches nothing again. Its first record then
        stayed unanchored for good, and the gap before it (a transaction
        marker at the committed offset) was never recorded: the partition
        never committed again. Seen in the join-then-leave rebalance test
        (``order-events`` partition 5 committed at 4181, its first record
        4182). A seek to the offset the fetch has already moved past brings
        the records back, and :meth:`_refill` reads them.
        """
        for tp, (first, _) in list(self._unanchored.items()):
            committed = self._committed_offset.get(tp)
            if committed is not None and first > committed:
                await self.seek(tp, committed)

    def _learn_committed(self, offsets: Mapping[TP, Optional[int]]) -> None:
        """Record committed offsets read from the broker, never moving one back."""
        for tp, offset in offsets.items():
            current = self._committed_offset.get(tp)
            if offset is not None and (current is None or offset > current):
                self._committed_offset[tp] = offset

    def key_partition(self, topic: str, key: Optional[bytes], partition: Optional[int] = None) -> Optional[int]:
        """The partition of ``key`` on ``topic`` (:mod:`pipeline.eos.partitioner`); None without metadata."""
        if key is None or partition is not None:
            return super().key_partition(topic, key, partition)
        return key_partition(self._thread._ensure_consumer()._client.cluster, topic, key)

    async def fetch_position(self, tp: TP) -> Optional[int]:
        """The offset after the last record of ``tp`` that a fetch returned."""
        return await super().position(tp)

    def last_delivered(self, tp: TP) -> Optional[int]:
        """The offset of the last record of ``tp`` handed over in this generation."""
        delivered = self._delivered.get(tp)
        if delivered is None or delivered[0] != self.app.consumer_generation_id:
            return None
        return delivered[1]

    async def position(self, tp: TP) -> Optional[int]:
        """The fetch position of ``tp``, once its records have settled.

        Faust's table recovery asks this only to end the restore of a
        changelog partition whose last offsets are transaction markers: once
        the position reaches the end, the partition counts as read. But the
        position runs ahead of the records still on their way to the
        recovery, and after a rebalance the check can run at once (its
        timeout count survives from the previous recovery), ending the
        restore with most of a partition unread: a partition that moved
        then starts from a table without those keys. So until no record of
        ``tp`` has arrived for :data:`POSITION_SETTLE_SECONDS`, the offset
        after the last record handed over is reported instead.
        """
        position = await super().position(tp)
        settled_since = max(self._generation_started, self._arrived_at.get(tp, 0.0))
        if monotonic() - settled_since >= POSITION_SETTLE_SECONDS:
            return position
        delivered = self._delivered.get(tp)
        return delivered[1] + 1 if delivered is not None else -1

    async def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> None:
        """Gaps are recorded by :meth:`getmany`."""

    def _new_offset(self, tp: TP) -> Optional[int]:
        """The offset to commit: the end of the run of acknowledged offsets
        (gaps included) that starts *at* the committed offset.

        Faust lets that run start one offset after the committed one, so an
        event sitting at the committed offset that never reached its stream
        is committed unprocessed; and anywhere when the committed offset is
        unknown. Every generation's :meth:`perform_seek` learns it (the
        partition's first offset if nothing was committed), but the streams
        can already run before the recovery's seek (seen: 9 of 94 workers of
        two-worker runs acknowledged events of a new generation up to 0.4 s
        before it); until then nothing of the partition is committed.
        """
        acked = self._acked[tp]
        if not acked:
            return None
        gaps = self._gap[tp]
        top = max(acked)
        for interval in gaps.overlap(0, top):
            acked.extend(range(interval.begin, interval.end))
        gaps.chop(0, top)
        acked[:] = sorted(set(acked))
        committed = self._committed_offset.get(tp)
        if committed is None or acked[0] > committed:
            return None
        run_end = 0
        while run_end + 1 < len(acked) and acked[run_end + 1] == acked[run_end] + 1:
            run_end += 1
        batch = acked[: run_end + 1]
        del acked[: run_end + 1]
        self._acked_index[tp].difference_update(batch)
        return batch[-1] + 1

    def ack(self, message: Message) -> bool:
        if (
            self._fenced
            or message.generation_id != self.app.consumer_generation_id
            or not self.app.flow_control.is_active()
        ):
            # Skipped unprocessed, or processed in a transaction that is being
            # abandoned: its offset must not be committed.
            message.acked = True
            self._unacked_messages.discard(message)
            notify(self._waiting_for_ack)
            return False
        counted = super().ack(message)
        if counted:
            self._on_acked()
        return counted

    async def commit(self, *args: Any, **kwargs: Any) -> bool:
        if self._fenced:
            return False
        return await super().commit(*args, **kwargs)

    @Service.task
    async def _commit_livelock_detector(self) -> None:
        """Faust's livelock check, every :data:`LIVELOCK_CHECK_INTERVAL` seconds.

        Faust runs it every 2.5 commit intervals (``Consumer._commit_livelock_detector``
        in faust-streaming): every 0.25 s at 0.1 s, 0.05 s at 0.02 s, and each
        run asks about every assigned partition in turn, with a call into the
        consumer thread for each. An idle worker committing every 0.02 s spent
        13% of a core, most of it there (py-spy). What it reports takes minutes
        to happen (``broker_commit_livelock_soft_timeout``, ``stream_processing_timeout``).
        """
        await self.sleep(LIVELOCK_CHECK_INTERVAL)
        async for _ in self.itertimer(LIVELOCK_CHECK_INTERVAL, name="livelock"):
            if not self.app.rebalancing:
                await self.verify_all_partitions_active()

    async def _commit_offsets(self, offsets: Mapping[TP, int], start_new_transaction: bool = True) -> bool:
        assignment = self.assignment()
        committable = {tp: offset for tp, offset in offsets.items() if tp in assignment}
        if not committable:
            return False
        published, self._published = self._published, None
        committed = await self.transactions.commit_each(committable, start_new_transaction)
        if committed:
            # The changelog records published for exactly these offsets are
            # the writes to apply; after a partial commit the stores find theirs.
            changelogs = published[1] if published is not None and published[0] == committed else None
            self.app.tables.on_commit(committed, changelogs)
            self._committed_offset.update(committed)
            # Faust's livelock check reads when each partition last committed
            # from the consumer thread, which records only the commits it
            # makes itself; offsets committed in transactions left it empty,
            # and 5 minutes after start every partition logged "Has not
            # committed ... at all since worker start", ~40 errors a second.
            committed_at = monotonic()
            self._thread.tp_last_committed_at.update({tp: committed_at for tp in committed})
            self.app.monitor.on_tp_commit(committed)
        return bool(committed)

    async def _handle_attached(self, commit_offsets: Mapping[TP, int]) -> None:
        attached = self.app._attachments.take(commit_offsets)
        changelogs = self.app.tables.changelogs(commit_offsets)
        self._published = (dict(commit_offsets), changelogs)
        if attached or changelogs:
            pending = await self.transactions.publish(attached, changelogs)
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
        self._fenced = True
        # A commit already under way finishes, and applies its table writes.
        await self.maybe_wait_for_commit_to_finish()
        await super().on_partitions_revoked(revoked)

    async def on_partitions_assigned(self, assigned: Set[TP], generation_id: int = 0) -> None:
        self._abandon_uncommitted()
        self._fenced = False
        await super().on_partitions_assigned(assigned, generation_id)

    def _abandon_uncommitted(self) -> None:
        """Drop the old generation's uncommitted work; its events come again."""
        self.app._attachments.clear()
        self.app.tables.discard_uncommitted()
        self._published = None
        self._acked.clear()
        self._acked_index.clear()
        self._gap.clear()
        self._delivered.clear()
        self._arrived_at.clear()
        self._unanchored.clear()
        self._generation_started = monotonic()


class Transport(_aiokafka.Transport):
    """The aiokafka transport with source-partition transactions, each
    retrying its first AddPartitionsToTxn soon (:mod:`pipeline.eos.backoff`)."""

    Consumer = Consumer
    TransactionManager = TransactionManager

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        shorten_concurrent_transactions_backoff()
