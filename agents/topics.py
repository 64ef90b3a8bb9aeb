"""Every topic the saga reads or writes, declared in one place.

Input topics belong to other services and may be partitioned any way; an
input event off the partition that owns its key is routed once into an
internal topic keyed the way its table is (:mod:`agents.ingest`), so that
every table update happens on the partition that owns its key. All internal
topics have ``ORDERFLOW_PARTITIONS`` partitions, so Faust assigns partition
``p`` of all of them (and of the tables' changelogs) to the same worker.

| topic | key | carries |
|---|---|---|
| `orders`, `stock`, `deposits` | contract | input events (contract) |
| `orderflow-orders` | orderId | `OrderPlaced` bytes as received, when off their key's partition |
| `orderflow-stock` | sku | `StockReplenished` bytes as received, likewise |
| `orderflow-deposits` | userId | `FundsDeposited` bytes as received, likewise |
| `orderflow-stock-commands` | sku | `StockCommand`: reserve, release, commit (bundles) |
| `orderflow-payment-requests` | userId | `PaymentRequest` (bundles) |
| `orderflow-order-events` | orderId | `OrderSagaEvent`: replies to an order (bundles) |
| `order-outcomes` | orderId | `OrderOutcome` (contract) |
| `<input>.dlq` | as input | undecodable input, bytes unchanged |
"""
from __future__ import annotations

from pipeline.app import app, registry
from pipeline.models import (
    FundsDeposited,
    OrderOutcome,
    OrderPlaced,
    OrderSagaEvent,
    PaymentRequest,
    StockCommand,
    StockReplenished,
)
from pipeline.serde.faust import AvroSchema

#: input topic -> its event, whose ``key_field`` keys the input and its table (CONTRACT.md)
INPUTS = {"orders": OrderPlaced, "stock": StockReplenished, "deposits": FundsDeposited}


def _avro(name: str, record: str, model: type, *, internal: bool = True, routed_to: str | None = None):
    """``name``'s Avro topic; with ``routed_to``, a channel of ``name`` and that twin too."""
    names = (name, routed_to) if routed_to else (name,)
    return app.topic(*names, schema=AvroSchema(registry, record, model), internal=internal)


def _raw(name: str):
    return app.topic(name, key_serializer="raw", value_serializer="raw", internal=True)


#: Each input with its routed twin: what the agent of the input's table consumes.
orders = _avro("orders", "OrderPlaced", OrderPlaced, internal=False, routed_to="orderflow-orders")
stock = _avro("stock", "StockReplenished", StockReplenished, internal=False, routed_to="orderflow-stock")
deposits = _avro("deposits", "FundsDeposited", FundsDeposited, internal=False, routed_to="orderflow-deposits")

stock_commands = _avro("orderflow-stock-commands", "StockCommand", StockCommand)
payment_requests = _avro("orderflow-payment-requests", "PaymentRequest", PaymentRequest)
order_events = _avro("orderflow-order-events", "OrderSagaEvent", OrderSagaEvent)
#: The saga's commands and replies travel in bundles (:mod:`pipeline.serde.bundle`),
#: read with :func:`agents.internal.internal_values`.
app.bundled_topics.update(topic.get_topic_name() for topic in (stock_commands, payment_requests, order_events))

outcomes = _avro("order-outcomes", "OrderOutcome", OrderOutcome)

#: The routed (raw bytes) twin of each input topic.
routed = {
    "orders": _raw("orderflow-orders"),
    "stock": _raw("orderflow-stock"),
    "deposits": _raw("orderflow-deposits"),
}
dead_letters = {name: _raw(f"{name}.dlq") for name in INPUTS}
#: Internal topics are written by the saga itself; a record there that does
#: not decode is a bug, kept here for inspection rather than crashing a worker.
internal_dead_letters = _raw("orderflow-internal.dlq")

#: Topics the worker creates before it starts, so that no send ever goes to
#: a topic the transactional producer has no metadata for.
ALL = (
    orders, stock, deposits,
    stock_commands, payment_requests, order_events, outcomes, *dead_letters.values(),
    internal_dead_letters,
)
