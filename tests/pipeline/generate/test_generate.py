"""The order generator: valid, realistic, deterministic with a seed, with the intended flaws."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from pipeline.generate import (
    LUXURY_PRICE,
    OVERSIZED_QUANTITY,
    OrderGenerator,
    OrderMix,
    OrderPlacedV1,
    deposit_events,
    generate_orders,
    stock_events,
)
from pipeline.models import OrderPlaced

MOMENT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def total_of(order: OrderPlaced) -> Decimal:
    return sum((item.quantity * item.unitPrice for item in order.items), Decimal("0.00"))


def is_invalid(order: OrderPlaced) -> bool:
    """The contract's INVALID_ORDER rules."""
    return not order.items or any(i.quantity <= 0 for i in order.items) or order.total != total_of(order)


@pytest.fixture(scope="module")
def generator():
    generator = OrderGenerator(users=200, skus=100, seed=7)
    generator.generated = generator.orders(5000, MOMENT)
    return generator


def test_same_seed_same_orders():
    first = generate_orders(300, 50, 40, seed=11, occurred_at=MOMENT)
    again = generate_orders(300, 50, 40, seed=11, occurred_at=MOMENT)
    other = generate_orders(300, 50, 40, seed=12, occurred_at=MOMENT)
    assert first == again
    assert [type(o) for o in first] == [type(o) for o in again]
    assert first != other


def test_ids_follow_the_catalog_and_prefixes():
    orders = generate_orders(50, users=20, skus=30, seed=1, order_prefix="run9-order-", namespace="run9-")
    assert [o.orderId for o in orders] == [f"run9-order-{n:06d}" for n in range(1, 51)]
    assert len({o.eventId for o in orders}) == 50
    for order in orders:
        assert re.fullmatch(r"run9-user-00(0\d|1\d)", order.userId)
        assert all(re.fullmatch(r"run9-sku-000[0-2]\d", item.sku) for item in order.items)


def test_items_prices_and_totals_are_realistic(generator):
    for order in generator.generated:
        assert len(order.items) <= 4
        assert len({item.sku for item in order.items}) == len(order.items)
        for item in order.items:
            assert item.unitPrice == item.unitPrice.quantize(Decimal("0.01"))
            assert item.quantity in (0, 1, 2, 3, 4, OVERSIZED_QUANTITY)
        assert order.total == order.total.quantize(Decimal("0.01"))
        assert isinstance(order.total, Decimal)
    quantities = [item.quantity for order in generator.generated for item in order.items]
    assert quantities.count(1) > quantities.count(2) > quantities.count(4)


def test_totals_match_except_for_the_intentionally_invalid(generator):
    invalid = [order for order in generator.generated if is_invalid(order)]
    assert len(invalid) == generator.kinds["invalid"]
    assert 0.005 < len(invalid) / len(generator.generated) < 0.02
    flaws = {("empty" if not o.items else "zero quantity" if any(i.quantity == 0 for i in o.items) else "total")
             for o in invalid}
    assert flaws == {"empty", "zero quantity", "total"}


def test_both_schema_versions_and_promo_codes(generator):
    v1 = [o for o in generator.generated if isinstance(o, OrderPlacedV1)]
    v2 = [o for o in generator.generated if not isinstance(o, OrderPlacedV1)]
    assert len(v1) == generator.kinds["v1"] and len(v2) == generator.kinds["v2"]
    assert 0.2 < len(v1) / len(generator.generated) < 0.4
    assert all(o.promoCode is None for o in v1)
    promos = [o.promoCode for o in v2 if o.promoCode]
    assert len(promos) == generator.kinds["promo"] > 0
    assert OrderPlacedV1.schema_version == 1


def test_some_orders_exceed_any_stock_or_balance(generator):
    oversized = [o for o in generator.generated if any(i.quantity == OVERSIZED_QUANTITY for i in o.items)]
    luxury = [o for o in generator.generated if any(i.unitPrice == LUXURY_PRICE for i in o.items)]
    assert len(oversized) == generator.kinds["oversized"] > 0
    assert len(luxury) == generator.kinds["luxury"] > 0


def test_popular_skus_sell_more():
    orders = generate_orders(4000, users=100, skus=100, seed=3, mix=OrderMix(oversized=0, luxury=0, invalid=0))
    picks: dict[str, int] = {}
    for order in orders:
        for item in order.items:
            picks[item.sku] = picks.get(item.sku, 0) + 1
    counts = sorted(picks.values(), reverse=True)
    assert counts[0] > 3 * counts[-1]


def test_seed_events_cover_every_sku_and_user():
    stock = stock_events(5, 40, namespace="s-")
    deposits = deposit_events(3, Decimal("12.5"))
    assert [(s.sku, s.quantity) for s in stock] == [(f"s-sku-{n:05d}", 40) for n in range(5)]
    assert [(d.userId, d.amount) for d in deposits] == [(f"user-{n:04d}", Decimal("12.50")) for n in range(3)]
    assert str(deposits[0].amount) == "12.50"
