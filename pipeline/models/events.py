"""Contract events: the records other services write and read (see CONTRACT.md)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pipeline.models.base import AvroModel, avro_model


class OrderStatus(StrEnum):
    """Symbols of the Avro enum ``OrderStatus`` (decoded values are plain str)."""

    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"


@avro_model()
@dataclass(slots=True, kw_only=True)
class OrderItem(AvroModel):
    sku: str
    quantity: int
    unitPrice: Decimal


@avro_model(arrays={"items": OrderItem})
@dataclass(slots=True, kw_only=True)
class OrderPlaced(AvroModel):
    """Version 2 (the reader of both versions; v1 records read with promoCode None)."""

    #: the field the contract keys its topic by
    key_field: ClassVar[str] = "orderId"
    eventId: str
    orderId: str
    userId: str
    items: list[OrderItem]
    total: Decimal
    occurredAt: datetime
    correlationId: str | None = None
    promoCode: str | None = None


@avro_model()
@dataclass(slots=True, kw_only=True)
class FundsDeposited(AvroModel):
    key_field: ClassVar[str] = "userId"
    eventId: str
    userId: str
    amount: Decimal
    occurredAt: datetime


@avro_model()
@dataclass(slots=True, kw_only=True)
class StockReplenished(AvroModel):
    key_field: ClassVar[str] = "sku"
    eventId: str
    sku: str
    quantity: int
    occurredAt: datetime


@avro_model()
@dataclass(slots=True, kw_only=True)
class OrderOutcome(AvroModel):
    eventId: str
    orderId: str
    userId: str
    status: str  # an OrderStatus symbol
    reason: str | None = None
    total: Decimal
    causationId: str
    correlationId: str | None = None
    occurredAt: datetime
