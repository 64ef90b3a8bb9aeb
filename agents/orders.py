"""Orders: accept each order once, validate it, and start its saga.

The ``orders`` table, keyed by orderId and co-partitioned with
``orderflow-orders`` and ``orderflow-order-events``, holds every order ever
accepted, so a redelivered or duplicated ``OrderPlaced`` (same orderId, and so
same eventId) is recognised and dropped. A valid order asks inventory to
reserve each of its skus; an invalid one is rejected at once.
"""
from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Optional

from agents import topics
from agents.analytics import record_outcome
from agents.dead_letters import dead_letter
from agents.events import derived_id, now
from pipeline.app import app
from pipeline.metrics import observe_outcome
from pipeline.models import OrderOutcome, OrderPlaced, StockCommand
from pipeline.serde import Poison

#: orderId -> the order's saga state (a dict, see :func:`pending_state`).
orders = app.Table(
    "orders", key_type=str, value_type=None,
    key_serializer="raw", value_serializer="compact-json", default=None,
)

CENT = Decimal("0.01")


def is_valid(order: OrderPlaced) -> bool:
    """The contract's checks: items, positive quantities, and a matching total."""
    if not order.items:
        return False
    if any(item.quantity <= 0 or item.unitPrice < 0 for item in order.items):
        return False
    expected = sum((item.quantity * item.unitPrice for item in order.items), Decimal(0))
    return expected.quantize(CENT) == order.total.quantize(CENT) and order.total >= 0


def pending_state(order: OrderPlaced) -> dict:
    units: Counter[str] = Counter()
    for item in order.items:
        units[item.sku] += item.quantity
    return {
        "status": "PENDING",
        "reason": None,
        "userId": order.userId,
        "total": str(order.total),
        "eventId": order.eventId,
        "correlationId": order.correlationId or order.eventId,
        "placedAt": int(order.occurredAt.timestamp() * 1000),
        "items": dict(units),
        "answered": [],
        "reserved": [],
        "awaiting": len(units),
        "outOfStock": False,
    }


async def decide(order_id: str, state: dict, status: str, reason: Optional[str]) -> None:
    """Record the order's final status and emit its one ``OrderOutcome``."""
    state["status"] = status
    state["reason"] = reason
    orders[order_id] = state
    decided = now()
    record_outcome(status, reason, state["total"], decided)
    observe_outcome(status, reason, state["placedAt"], decided)
    await topics.outcomes.send(
        key=order_id,
        value=OrderOutcome(
            eventId=derived_id(state["eventId"], "OrderOutcome"),
            orderId=order_id,
            userId=state["userId"],
            status=status,
            reason=reason,
            total=Decimal(state["total"]),
            causationId=state["eventId"],
            correlationId=state["correlationId"],
            occurredAt=decided,
        ),
    )


async def send_stock_commands(order_id: str, state: dict, action: str, skus) -> None:
    for sku in skus:
        await topics.stock_commands.send(
            key=sku,
            value=StockCommand(
                eventId=derived_id(state["eventId"], action, sku),
                orderId=order_id,
                sku=sku,
                quantity=state["items"][sku],
                action=action,
                correlationId=state["correlationId"],
                causationId=state["eventId"],
                occurredAt=now(),
            ),
        )


@app.agent(topics.orders_by_id)
async def place_order(stream):
    async for event in stream.events():
        order = event.value
        if isinstance(order, Poison):
            await dead_letter(order)
            continue
        if order.orderId in orders:
            continue  # a duplicate: this order already has (or will have) its outcome
        state = pending_state(order)
        if not is_valid(order):
            await decide(order.orderId, state, "REJECTED", "INVALID_ORDER")
            continue
        orders[order.orderId] = state
        await send_stock_commands(order.orderId, state, "RESERVE", state["items"])
