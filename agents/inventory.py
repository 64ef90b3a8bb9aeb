"""Inventory: units per sku, reserved, released and sold by the saga.

The table is keyed by sku and co-partitioned with ``orderflow-stock`` and
``orderflow-stock-commands``, so every change to a sku happens on the worker
that owns it, in the order its commands were written. For every sku,
``available + reserved + sold`` is all stock ever replenished.

The ledger records each order's reservation of each sku (reserved,
refused, released or sold) and each replenishment applied, so that a command
or event delivered twice is applied once (see :mod:`agents.ledger`).
"""
from __future__ import annotations

from agents import topics
from agents.codecs import Stock
from agents.dead_letters import dead_letter
from agents.events import derived_id, now
from agents.ledger import ledger
from pipeline.app import app
from pipeline.models import OrderSagaEvent, StockCommand
from pipeline.serde import Poison

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


def apply(stock: Stock, command: StockCommand) -> tuple[Stock, bool]:
    """The stock after ``command``, and whether a reservation was granted."""
    q = command.quantity
    if command.action == "RESERVE":
        if stock.available < q:
            return stock, False
        return Stock(stock.available - q, stock.reserved + q, stock.sold), True
    if command.action == "RELEASE":
        return Stock(stock.available + q, stock.reserved - q, stock.sold), True
    if command.action == "COMMIT":
        return Stock(stock.available, stock.reserved - q, stock.sold + q), True
    raise ValueError(f"unknown stock action {command.action!r} in event {command.eventId}")


@app.agent(topics.stock_by_sku)
async def replenish(stream):
    async for event in stream.events():
        added = event.value
        if isinstance(added, Poison):
            await dead_letter(added)
            continue
        applied = f"stock/{added.eventId}"
        if applied in stock_ledger:
            continue
        stock = stock_of(added.sku)
        inventory[added.sku] = stock._replace(available=stock.available + added.quantity)
        stock_ledger[applied] = b"APPLIED"


@app.agent(topics.stock_commands)
async def handle_stock_commands(stream):
    async for event in stream.events():
        command = event.value
        if isinstance(command, Poison):
            await dead_letter(command)
            continue
        reservation = f"{command.orderId}/{command.sku}"
        state = stock_ledger.get(reservation)
        if command.action == "RESERVE":
            if state is None:
                stock, granted = apply(stock_of(command.sku), command)
                inventory[command.sku] = stock
                stock_ledger[reservation] = state = b"RESERVED" if granted else b"REFUSED"
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
                    occurredAt=now(),
                ),
            )
        elif state == b"RESERVED":
            inventory[command.sku], _ = apply(stock_of(command.sku), command)
            stock_ledger[reservation] = AFTER[command.action]
