"""Internal saga events: commands and replies between the order, stock and payment owners.

Their ``occurredAt`` is epoch milliseconds (``int``): the worker reads and
writes ~9 of them per order and never looks at their time, so they skip
fastavro's ``datetime`` conversions (the wire format is the same
``timestamp-millis`` long).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from pipeline.models.base import AvroModel, avro_model


class StockAction(StrEnum):
    RESERVE = "RESERVE"
    RELEASE = "RELEASE"
    COMMIT = "COMMIT"


class SagaEventType(StrEnum):
    STOCK_RESERVED = "STOCK_RESERVED"
    STOCK_REJECTED = "STOCK_REJECTED"
    PAYMENT_ACCEPTED = "PAYMENT_ACCEPTED"
    PAYMENT_DECLINED = "PAYMENT_DECLINED"


@avro_model()
@dataclass(slots=True, kw_only=True)
class StockLine(AvroModel):
    sku: str
    quantity: int


@avro_model(arrays={"more": StockLine}, epoch_millis=True)
@dataclass(slots=True, kw_only=True)
class StockCommand(AvroModel):
    """A command for ``sku`` and for the order's other skus on its partition (``more``)."""

    eventId: str
    orderId: str
    sku: str
    quantity: int
    action: str  # a StockAction symbol
    correlationId: str | None = None
    causationId: str
    occurredAt: int  # epoch milliseconds
    more: list[StockLine] = field(default_factory=list)

    def lines(self) -> list[tuple[str, int]]:
        """Every ``(sku, quantity)`` the command covers, ``sku`` first."""
        return [(self.sku, self.quantity), *((line.sku, line.quantity) for line in self.more)]


@avro_model(epoch_millis=True)
@dataclass(slots=True, kw_only=True)
class PaymentRequest(AvroModel):
    eventId: str
    orderId: str
    userId: str
    amount: Decimal
    correlationId: str | None = None
    causationId: str
    occurredAt: int  # epoch milliseconds


@avro_model(epoch_millis=True)
@dataclass(slots=True, kw_only=True)
class OrderSagaEvent(AvroModel):
    eventId: str
    orderId: str
    type: str  # a SagaEventType symbol
    sku: str | None = None
    quantity: int | None = None
    correlationId: str | None = None
    causationId: str
    occurredAt: int  # epoch milliseconds
