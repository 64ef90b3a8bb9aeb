"""Exactly-once processing for a Faust app whose agents repartition.

Faust's ``processing_guarantee="exactly_once"`` keeps one transactional
producer per source partition, but a saga falls through its holes (upstream
faust-streaming #177, #323, #432, #502, #517):

* a send is put in the transaction of its *destination* partition, so the
  outputs of an event and the offset of that event land in different
  transactions (:mod:`pipeline.eos.transport`);
* table changelog writes go through the plain, non-transactional producer
  (:mod:`pipeline.eos.tables`);
* attachments of one transaction are published partition by partition,
  and from the first event not yet acknowledged, so two writes of one key
  can reach the changelog out of order (:mod:`pipeline.eos.attachments`);
* the local RocksDB store keeps writes of transactions that were later
  aborted, so a worker that keeps a partition through a rebalance, or that
  died, carries on from a state the changelog never had
  (:mod:`pipeline.eos.buffer`), and changelog offsets are never persisted,
  so every start restores every table from scratch
  (:mod:`pipeline.eos.manager`);
* a store ahead of its changelog makes recovery crash at every start
  (:mod:`pipeline.eos.recovery`);
* a rebalance commits offsets of events that were skipped, or whose
  outputs were dropped, and the compiled stream iterator acknowledges
  events behind the consumer's back (:mod:`pipeline.eos.transport`,
  :mod:`pipeline.eos.stream`);
* the end of a recovery empties the stream buffers while the flow already
  runs, so a partition's commit waits forever for events thrown away
  (:mod:`pipeline.eos.flow`), and seeks partitions back to their committed
  offsets under the streams, so events are processed twice
  (:mod:`pipeline.eos.transport`).

This package closes them so that an event's table writes, its outputs and
its input offset are committed in one Kafka transaction, or not at all. Its
consumer also has a fetch loop of its own (:mod:`pipeline.eos.drain`) that
hands messages to the streams without Faust's four tasks per message, and
its commits publish the attached messages in record batches, one per
transaction and partition, instead of one ``send`` per record
(:mod:`pipeline.eos.batches`); a transaction begun right after the last
commit asks again after 2 ms, not 20, to add its partitions
(:mod:`pipeline.eos.backoff`); and its table stores encode keys and values
with their codecs, not through Faust's serializer registry
(:mod:`pipeline.eos.plain_codecs`); and its consumer partitions keys with a
murmur2 in C (:mod:`pipeline.eos.partitioner`).
"""
from pipeline.eos.attachments import OrderedAttachments
from pipeline.eos.flow import FlowControl
from pipeline.eos.manager import TableManager
from pipeline.eos.stream import Stream
from pipeline.eos.tables import TransactionalTable
from pipeline.eos.transport import Transport

__all__ = ["FlowControl", "OrderedAttachments", "Stream", "TableManager", "TransactionalTable", "Transport"]
