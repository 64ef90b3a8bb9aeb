"""Order status: collect the saga's replies, decide, and compensate.

Each order waits for one reply per stock command, that is per group of its
skus on one partition (see :mod:`agents.orders`). If any sku was out of
stock, the skus that were reserved are released and the order is rejected;
otherwise the user is charged. An accepted charge commits the reservations (the units
become sold) and confirms the order; a declined one releases them. Replies
for an order that is already decided, or for a sku already answered, change
nothing.
"""
from __future__ import annotations

from decimal import Decimal

from agents import topics
from agents.events import derived_id, now_ms
from agents.internal import internal_values
from agents.orders import decide, orders, send_stock_commands, stock_groups
from pipeline.app import app
from pipeline.models import OrderSagaEvent, PaymentRequest


async def on_stock_reply(reply: OrderSagaEvent, state: dict) -> None:
    if reply.sku in state["answered"] or state["awaiting"] == 0:
        return  # a repeated reply
    state["answered"].append(reply.sku)
    if reply.type == "STOCK_RESERVED":
        # The reply names its group's first sku, and the whole group is reserved
        # (a sku that leads no group, from a one-sku command, stands alone).
        state["reserved"].extend(stock_groups(state["items"]).get(reply.sku, [reply.sku]))
    else:
        state["outOfStock"] = True
    state["awaiting"] -= 1
    if state["awaiting"] > 0:
        orders[reply.orderId] = state
    elif state["outOfStock"]:
        await send_stock_commands(reply.orderId, state, "RELEASE", state["reserved"])
        await decide(reply.orderId, state, "REJECTED", "OUT_OF_STOCK")
    else:
        orders[reply.orderId] = state
        await topics.payment_requests.send(
            key=state["userId"],
            value=PaymentRequest(
                eventId=derived_id(state["eventId"], "PaymentRequest"),
                orderId=reply.orderId,
                userId=state["userId"],
                amount=Decimal(state["total"]),
                correlationId=state["correlationId"],
                causationId=state["eventId"],
                occurredAt=now_ms(),
            ),
        )


async def on_payment_reply(reply: OrderSagaEvent, state: dict) -> None:
    if state["awaiting"] > 0:
        return  # cannot happen before every sku is reserved; ignore a stray reply
    if reply.type == "PAYMENT_ACCEPTED":
        await send_stock_commands(reply.orderId, state, "COMMIT", state["reserved"])
        await decide(reply.orderId, state, "CONFIRMED", None)
    else:
        await send_stock_commands(reply.orderId, state, "RELEASE", state["reserved"])
        await decide(reply.orderId, state, "REJECTED", "INSUFFICIENT_FUNDS")


@app.agent(topics.order_events)
async def track_order(stream):
    async for reply in internal_values(stream):
        state = orders.get(reply.orderId)
        if state is None or state["status"] != "PENDING":
            continue
        if reply.type in ("STOCK_RESERVED", "STOCK_REJECTED"):
            await on_stock_reply(reply, state)
        else:
            await on_payment_reply(reply, state)
