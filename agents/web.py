"""The contract's HTTP endpoints on every worker.

Reads are answered by the worker that owns the key: Faust's ``table_route``
forwards a request for a key held elsewhere to its owner. ``POST /orders``
publishes an ``OrderPlaced`` to ``orders`` like any other service would.
"""
from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

from faust.web import Request, Response, View

from agents.events import now
from agents.inventory import inventory
from agents.orders import orders
from agents.payments import balances
from pipeline.app import app, registry
from pipeline.models import OrderItem, OrderPlaced


class BadOrder(ValueError):
    """The body of ``POST /orders`` is not an order."""


def _text(body: dict, field: str, required: bool = True) -> str | None:
    value = body.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise BadOrder(f"{field} must be a non-empty string")
    return value


def _money(value, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise BadOrder(f"{field} must be a decimal amount")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise BadOrder(f"{field} must be a decimal amount, not {value!r}") from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise BadOrder(f"{field} must have at most 2 decimal places")
    return amount


def parse_order(body) -> OrderPlaced:
    """An ``OrderPlaced`` from the JSON of ``POST /orders``, or :class:`BadOrder`."""
    if not isinstance(body, dict):
        raise BadOrder("body must be a JSON object")
    items = body.get("items")
    if not isinstance(items, list):
        raise BadOrder("items must be a list")
    parsed = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise BadOrder(f"items[{i}] must be an object")
        quantity = item.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise BadOrder(f"items[{i}].quantity must be an integer")
        parsed.append(OrderItem(
            sku=_text(item, "sku"), quantity=quantity,
            unitPrice=_money(item.get("unitPrice"), f"items[{i}].unitPrice"),
        ))
    return OrderPlaced(
        eventId=str(uuid.uuid4()),
        orderId=_text(body, "orderId"),
        userId=_text(body, "userId"),
        items=parsed,
        total=_money(body.get("total"), "total"),
        occurredAt=now(),
        correlationId=_text(body, "correlationId", required=False),
        promoCode=_text(body, "promoCode", required=False),
    )


@app.page("/orders")
class PlaceOrder(View):
    async def post(self, request: Request) -> Response:
        try:
            order = parse_order(await request.json())
        except (BadOrder, ValueError) as exc:
            return self.json({"error": str(exc)}, status=400)
        value = registry.serializer("orders", "OrderPlaced").encode(order)
        producer = self.app.producer
        await producer.maybe_start()
        await producer.send_and_wait("orders", order.orderId.encode(), value, None, None, None)
        return self.json({"orderId": order.orderId, "status": "PENDING"}, status=202)


@app.page("/orders/{order_id}")
@app.table_route(table=orders, match_info="order_id")
async def get_order(web: View, request: Request, order_id: str) -> Response:
    state = orders.get(order_id)
    if state is None:
        return web.json({"error": f"unknown order {order_id}"}, status=404)
    return web.json({"orderId": order_id, "status": state["status"], "reason": state["reason"]})


@app.page("/inventory/{sku}")
@app.table_route(table=inventory, match_info="sku")
async def get_inventory(web: View, request: Request, sku: str) -> Response:
    stock = inventory.get(sku)
    if stock is None:
        return web.json({"error": f"unknown sku {sku}"}, status=404)
    return web.json({"sku": sku, **stock._asdict()})


@app.page("/balances/{user_id}")
@app.table_route(table=balances, match_info="user_id")
async def get_balance(web: View, request: Request, user_id: str) -> Response:
    balance = balances.get(user_id)
    if balance is None:
        return web.json({"error": f"unknown user {user_id}"}, status=404)
    return web.json({"userId": user_id, "balance": str(balance)})
