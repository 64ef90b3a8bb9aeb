"""Realistic input events and a fast producer for them, for the CLI, the demo, tests and benchmarks.

    orders = generate_orders(10_000, users=1000, skus=500, seed=42)
    await produce(settings, "orders", orders, rate=2000)
"""
from pipeline.generate.events import (
    LUXURY_PRICE,
    OVERSIZED_QUANTITY,
    OrderGenerator,
    OrderMix,
    OrderPlacedV1,
    deposit_events,
    generate_orders,
    sku_id,
    stock_events,
    user_id,
)
from pipeline.generate.produce import ProduceError, Produced, produce

__all__ = [
    "LUXURY_PRICE", "OVERSIZED_QUANTITY", "OrderGenerator", "OrderMix", "OrderPlacedV1", "ProduceError",
    "Produced", "deposit_events", "generate_orders", "produce", "sku_id", "stock_events", "user_id",
]
