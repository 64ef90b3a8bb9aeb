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
  aborted, so a worker that died restores on top of them
  (:mod:`pipeline.eos.store`), and a store ahead of its changelog makes
  recovery crash at every start (:mod:`pipeline.eos.recovery`).

This package closes them so that an event's table writes, its outputs and
its input offset are committed in one Kafka transaction, or not at all.
"""
from pipeline.eos.attachments import OrderedAttachments
from pipeline.eos.recovery import TableManager
from pipeline.eos.store import LocalStateGuard
from pipeline.eos.tables import TransactionalTable
from pipeline.eos.transport import Transport

__all__ = ["LocalStateGuard", "OrderedAttachments", "TableManager", "TransactionalTable", "Transport"]
