"""How soon a new transaction asks again to add its partitions while the last one completes.

The first record a transactional producer sends in a transaction registers
its partitions with the transaction coordinator (AddPartitionsToTxn). Right
after the producer's previous transaction committed, the coordinator is
still writing that transaction's markers and answers CONCURRENT_TRANSACTIONS;
aiokafka then asks again after a fixed 20 ms (``BACKOFF_OVERRIDE`` in
``aiokafka.producer.sender``, the Java client's value from KAFKA-5477), and
has no setting for it (franz-go made it one: ``ConcurrentTransactionBackoff``).

A worker's commit rounds follow one another, and each round publishes in
every transaction right after the last round committed it, so every
transaction of every round waited those 20 ms before its records were even
sent. Against the local stack (one broker), the first send of a transaction
begun at once after a commit took 23 ms with 20 ms and 3.8 ms with 2 ms; one
begun 10 ms after the commit took 2.4 ms: the coordinator is done within a
few milliseconds. Asking again sooner costs a request to the coordinator
each time, one or two per transaction and round.
"""
from __future__ import annotations

import aiokafka.producer.sender as _sender

#: Seconds before AddPartitionsToTxn is sent again after CONCURRENT_TRANSACTIONS.
CONCURRENT_TRANSACTIONS_BACKOFF = 0.002


def shorten_concurrent_transactions_backoff() -> None:
    """Make aiokafka's transactional producers of this process ask again after the short backoff."""
    if not hasattr(_sender, "BACKOFF_OVERRIDE"):
        raise RuntimeError("aiokafka.producer.sender has no BACKOFF_OVERRIDE: check how this "
                           "aiokafka version retries AddPartitionsToTxn on CONCURRENT_TRANSACTIONS")
    _sender.BACKOFF_OVERRIDE = CONCURRENT_TRANSACTIONS_BACKOFF
