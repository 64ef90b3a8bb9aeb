"""A new transaction asks again soon to add its partitions while the coordinator completes the last one."""
from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import aiokafka.producer.sender as aiokafka_sender
import pytest
from aiokafka.errors import ConcurrentTransactions
from aiokafka.producer.sender import AddPartitionsToTxnHandler
from aiokafka.structs import TopicPartition

from pipeline.app import create_app
from pipeline.eos.backoff import CONCURRENT_TRANSACTIONS_BACKOFF, shorten_concurrent_transactions_backoff
from pipeline.settings import Settings

#: The sender's own retry backoff (aiokafka's ``retry_backoff_ms`` default, 100 ms).
RETRY_BACKOFF = 0.1


@pytest.fixture
def aiokafka_default(monkeypatch):
    """aiokafka as it comes: 20 ms after CONCURRENT_TRANSACTIONS (restored after the test)."""
    monkeypatch.setattr(aiokafka_sender, "BACKOFF_OVERRIDE", 0.02)


def backoff_after_concurrent_transactions(partitions_in_transaction: set) -> float:
    """What aiokafka's AddPartitionsToTxn handler waits after the coordinator's CONCURRENT_TRANSACTIONS."""
    sender = SimpleNamespace(_retry_backoff=RETRY_BACKOFF,
                             _txn_manager=SimpleNamespace(txn_partitions=partitions_in_transaction))
    handler = AddPartitionsToTxnHandler(sender, [TopicPartition("orderflow-order-events", 3)])
    response = SimpleNamespace(errors=[("orderflow-order-events", [(3, ConcurrentTransactions.errno)])])
    return handler.handle_response(response)


def test_the_first_partitions_of_a_transaction_are_asked_for_again_after_the_short_backoff(aiokafka_default) -> None:
    assert backoff_after_concurrent_transactions(set()) == 0.02
    shorten_concurrent_transactions_backoff()
    assert backoff_after_concurrent_transactions(set()) == CONCURRENT_TRANSACTIONS_BACKOFF < 0.02


def test_a_transaction_that_already_has_partitions_keeps_the_senders_backoff(aiokafka_default) -> None:
    shorten_concurrent_transactions_backoff()
    added = {TopicPartition("orderflow-stock-commands", 1)}
    assert backoff_after_concurrent_transactions(added) == RETRY_BACKOFF


def test_the_workers_transport_shortens_it(aiokafka_default, tmp_path) -> None:
    app = create_app(replace(Settings.from_env(), data_dir=tmp_path))
    assert backoff_after_concurrent_transactions(set()) == 0.02
    assert app.transport is not None
    assert backoff_after_concurrent_transactions(set()) == CONCURRENT_TRANSACTIONS_BACKOFF
