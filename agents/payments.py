"""Payments: each user's balance, built only from events.

``FundsDeposited`` adds to it, an accepted ``PaymentRequest`` takes the
order's total from it; nothing else does. So a balance always equals the
user's deposits minus the totals of their confirmed orders. The table is
keyed by userId and co-partitioned with ``orderflow-deposits`` and
``orderflow-payment-requests``. Its ledger records each order's charge
(accepted or declined) and each deposit applied, so that a request or event
delivered twice is applied once (see :mod:`agents.ledger`).
"""
from __future__ import annotations

from decimal import Decimal

from agents import topics
from agents.events import derived_id, now_ms
from agents.ingest import local_events
from agents.internal import internal_values
from agents.ledger import ledger
from pipeline.app import app
from pipeline.models import OrderSagaEvent

balances = app.Table(
    "balances", key_type=str, value_type=None,
    key_serializer="raw", value_serializer="money", default=None,
)

#: ``orderId`` -> PAYMENT_ACCEPTED or PAYMENT_DECLINED; ``deposit/eventId`` -> APPLIED
payment_ledger = ledger("payments-ledger")

ZERO = Decimal("0.00")


def balance_of(user_id: str) -> Decimal:
    return balances.get(user_id) or ZERO


@app.agent(topics.deposits)
async def deposit(stream):
    async for event in local_events(stream):
        deposited = event.value
        applied = f"deposit/{deposited.eventId}"
        if applied in payment_ledger:
            continue
        balances[deposited.userId] = balance_of(deposited.userId) + deposited.amount
        payment_ledger[applied] = b"APPLIED"


@app.agent(topics.payment_requests)
async def charge(stream):
    async for request in internal_values(stream):
        charged = payment_ledger.get(request.orderId)
        if charged is None:
            balance = balance_of(request.userId)
            if balance >= request.amount:
                balances[request.userId] = balance - request.amount
                charged = b"PAYMENT_ACCEPTED"
            else:
                charged = b"PAYMENT_DECLINED"
            payment_ledger[request.orderId] = charged
        # A repeated request repeats its reply; the order counts it once.
        kind = charged.decode()
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
                occurredAt=now_ms(),
            ),
        )
