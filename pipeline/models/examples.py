"""One realistic instance of every event, for the benchmark, the demo and tests."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from pipeline.models.base import AvroModel
from pipeline.models.events import (
    FundsDeposited,
    OrderItem,
    OrderOutcome,
    OrderPlaced,
    OrderStatus,
    StockReplenished,
)
from pipeline.models.saga import OrderSagaEvent, PaymentRequest, SagaEventType, StockAction, StockCommand


def now() -> datetime:
    """The current time at the millisecond precision timestamp-millis keeps."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def order(order_id: str = "order-000123", *, items: int = 3, promo_code: str | None = None) -> OrderPlaced:
    """An order of ``items`` lines whose total is the sum of quantity x unitPrice."""
    lines = [OrderItem(sku=f"SKU-{n:04d}", quantity=n + 1, unitPrice=Decimal("19.99")) for n in range(items)]
    return OrderPlaced(
        eventId=str(uuid.uuid4()),
        orderId=order_id,
        userId="user-42",
        items=lines,
        total=sum((line.quantity * line.unitPrice for line in lines), Decimal("0.00")),
        occurredAt=now(),
        correlationId=str(uuid.uuid4()),
        promoCode=promo_code,
    )


def example(record: str) -> AvroModel:
    """A filled-in instance of the model of ``record``."""
    ids = {"eventId": str(uuid.uuid4()), "causationId": str(uuid.uuid4()), "occurredAt": now()}
    saga_ids = {**ids, "occurredAt": int(ids["occurredAt"].timestamp() * 1000)}  # epoch millis
    builders = {
        "OrderPlaced": lambda: order(promo_code="SPRING10"),
        "FundsDeposited": lambda: FundsDeposited(
            eventId=ids["eventId"], userId="user-42", amount=Decimal("250.00"), occurredAt=ids["occurredAt"]),
        "StockReplenished": lambda: StockReplenished(
            eventId=ids["eventId"], sku="SKU-0001", quantity=40, occurredAt=ids["occurredAt"]),
        "OrderOutcome": lambda: OrderOutcome(
            **ids, orderId="order-000123", userId="user-42", status=OrderStatus.REJECTED,
            reason="OUT_OF_STOCK", total=Decimal("119.94"), correlationId="corr-1"),
        "StockCommand": lambda: StockCommand(
            **saga_ids, orderId="order-000123", sku="SKU-0001", quantity=2, action=StockAction.RESERVE),
        "PaymentRequest": lambda: PaymentRequest(
            **saga_ids, orderId="order-000123", userId="user-42", amount=Decimal("119.94"), correlationId="corr-1"),
        "OrderSagaEvent": lambda: OrderSagaEvent(
            **saga_ids, orderId="order-000123", type=SagaEventType.STOCK_RESERVED, sku="SKU-0001", quantity=2),
    }
    return builders[record]()
