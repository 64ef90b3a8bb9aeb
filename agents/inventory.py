"""Inventory: units per sku, reserved, released and sold by the saga.

The table is keyed by sku and co-partitioned with ``orderflow-stock`` and
``orderflow-stock-commands``, so every change to a sku happens on the worker
that owns it, in the order its commands were written. For every sku,
``available + reserved + sold`` is all stock ever replenished.

A command covers one or more skus of one order, all on this partition (see
:mod:`agents.orders`), and is applied to all of them or to none: a
reservation is granted only if every sku has the units. The ledger records
each order's reservation under the command's first sku (reserved, refused,
released or sold) and each replenishment applied, so that a command or event
delivered twice is applied once (see :mod:`agents.ledger`).
"""
from __future__ import annotations

from agents import topics
from agents.codecs import Stock
from agents.events import derived_id, now_ms
from agents.ingest import local_events
from agents.internal import internal_values
from agents.ledger import ledger
from pipeline.app import app
from pipeline.models import OrderSagaEvent, StockCommand

inventory = app.Table(
    "inventory", key_type=str, value_type=None,
    key_serializer="raw", value_serializer="stock", default=None,
)

#: ``orderId/sku`` -> RESERVED, REFUSED, RELEASED or SOLD; ``stock/eventId`` -> APPLIED
stock_ledger = ledger("inventory-ledger")

EMPTY = Stock()
#: The reservation state each command moves a reservation to, from RESERVED.
AFTER = {"RELEASE": b"RELEASED", "COMMIT": b"SOLD"}


def stock_of(sku: str) -> Stock:
    return inventory.get(sku) or EMPTY


def apply(stock: Stock, action: str, q: int) -> Stock:
    """The stock after ``action`` on ``q`` units (a RESERVE must fit in ``available``)."""
    if action == "RESERVE":
        return Stock(stock.available - q, stock.reserved + q, stock.sold)
    if action == "RELEASE":
        return Stock(stock.available + q, stock.reserved - q, stock.sold)
    if action == "COMMIT":
        return Stock(stock.available, stock.reserved - q, stock.sold + q)
    raise ValueError(f"unknown stock action {action!r}")


def execute(command: StockCommand) -> bool:
    """Apply ``command`` to every sku it covers, or (a RESERVE that does not fit) to none."""
    lines = [(sku, q, stock_of(sku)) for sku, q in command.lines()]
    if command.action == "RESERVE" and any(stock.available < q for _, q, stock in lines):
        return False
    for sku, q, stock in lines:
        inventory[sku] = apply(stock, command.action, q)
    return True


@app.agent(topics.stock)
async def replenish(stream):
    async for event in local_events(stream):
        added = event.value
        applied = f"stock/{added.eventId}"
        if applied in stock_ledger:
            continue
        stock = stock_of(added.sku)
        inventory[added.sku] = stock._replace(available=stock.available + added.quantity)
        stock_ledger[applied] = b"APPLIED"


@app.agent(topics.stock_commands)
async def handle_stock_commands(stream):
    async for command in internal_values(stream):
        reservation = f"{command.orderId}/{command.sku}"
        state = stock_ledger.get(reservation)
        if command.action == "RESERVE":
            if state is None:
                stock_ledger[reservation] = state = b"RESERVED" if execute(command) else b"REFUSED"
            # A repeated RESERVE repeats its reply; the order counts it once.
            kind = "STOCK_REJECTED" if state == b"REFUSED" else "STOCK_RESERVED"
            await topics.order_events.send(
                key=command.orderId,
                value=OrderSagaEvent(
                    eventId=derived_id(command.eventId, kind),
                    orderId=command.orderId,
                    type=kind,
                    sku=command.sku,
                    quantity=command.quantity,
                    correlationId=command.correlationId,
                    causationId=command.eventId,
                    occurredAt=now_ms(),
                ),
            )
        elif state == b"RESERVED":
            execute(command)
            stock_ledger[reservation] = AFTER[command.action]
