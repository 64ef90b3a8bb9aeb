"""Which record travels on which topic: the one place that says so.

Subjects follow the TopicNameStrategy of the contract: the value schema of
topic ``t`` lives under subject ``t-value``.
"""
from __future__ import annotations

#: topic -> the record name (``orderflow.events.<name>``) of its values.
TOPIC_RECORDS: dict[str, str] = {
    # input topics (contract)
    "orders": "OrderPlaced",
    "deposits": "FundsDeposited",
    "stock": "StockReplenished",
    # output topic (contract)
    "order-outcomes": "OrderOutcome",
    # internal saga topics
    "orderflow-stock-commands": "StockCommand",
    "orderflow-payment-requests": "PaymentRequest",
    "orderflow-order-events": "OrderSagaEvent",
}

_RECORD_TOPICS = {record: topic for topic, record in TOPIC_RECORDS.items()}


def value_subject(topic: str) -> str:
    """The registry subject of ``topic``'s values (TopicNameStrategy)."""
    return f"{topic}-value"


def topic_of(record: str) -> str:
    """The topic that carries ``record``; KeyError names the known records."""
    try:
        return _RECORD_TOPICS[record]
    except KeyError:
        raise KeyError(f"no topic carries record {record!r}; known: {sorted(_RECORD_TOPICS)}") from None
