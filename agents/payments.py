"""Payments: each user's balance, built only from events.

``FundsDeposited`` adds to it, an accepted ``PaymentRequest`` takes the
order's total from it; nothing else does. So a balance always equals the
user's deposits minus the totals of their confirmed orders. The table is
keyed by userId and co-partitioned with ``orderflow-deposits`` and
``orderflow-payment-requests``.
"""
from __future__ import annotations

from decimal import Decimal

from agents import topics
from agents.dead_letters import dead_letter
from agents.events import derived_id, now
from pipeline.app import app
from pipeline.models import OrderSagaEvent
from pipeline.serde import Poison

balances = app.Table(
    "balances", key_type=str, value_type=None,
    key_serializer="raw", value_serializer="money", default=None,
)

ZERO = Decimal("0.00")


def balance_of(user_id: str) -> Decimal:
    return balances.get(user_id) or ZERO


@app.agent(topics.deposits_by_user)
async def deposit(stream):
    async for event in stream.events():
        deposited = event.value
        if isinstance(deposited, Poison):
            await dead_letter(deposited)
            continue
        balances[deposited.userId] = balance_of(deposited.userId) + deposited.amount


@app.agent(topics.payment_requests)
async def charge(stream):
    async for event in stream.events():
        request = event.value
        if isinstance(request, Poison):
            await dead_letter(request)
            continue
        balance = balance_of(request.userId)
        if balance >= request.amount:
            balances[request.userId] = balance - request.amount
            kind = "PAYMENT_ACCEPTED"
        else:
            kind = "PAYMENT_DECLINED"
        await topics.order_events.send(
            key=request.orderId,
            value=OrderSagaEvent(
                eventId=derived_id(request.eventId, kind),
                orderId=request.orderId,
                type=kind,
                sku=None,
                quantity=None,
                correlationId=request.correlationId,
                causationId=request.eventId,
                occurredAt=now(),
            ),
        )
