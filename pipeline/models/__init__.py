"""Typed event classes, one per Avro record of ``schemas/avro/``.

Field names are the Avro field names (camelCase, as in the contract), in
schema order. Decimals are :class:`decimal.Decimal`, timestamps tz-aware UTC
:class:`datetime.datetime`, enums plain ``str`` (compare with the StrEnum
members below).
"""
from pipeline.models.base import AvroModel
from pipeline.models.events import (
    FundsDeposited,
    OrderItem,
    OrderOutcome,
    OrderPlaced,
    OrderStatus,
    StockReplenished,
)
from pipeline.models.saga import OrderSagaEvent, PaymentRequest, SagaEventType, StockAction, StockCommand, StockLine

#: record name -> model class, for every top-level record
MODELS: dict[str, type[AvroModel]] = {
    model.__name__: model
    for model in (OrderPlaced, FundsDeposited, StockReplenished, OrderOutcome,
                  StockCommand, PaymentRequest, OrderSagaEvent)
}

__all__ = [
    "AvroModel", "MODELS", "FundsDeposited", "OrderItem", "OrderOutcome", "OrderPlaced", "OrderSagaEvent",
    "OrderStatus", "PaymentRequest", "SagaEventType", "StockAction", "StockCommand", "StockLine", "StockReplenished",
]
