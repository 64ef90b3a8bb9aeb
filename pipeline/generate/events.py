"""Realistic input events: a catalog of skus and users, and orders over it.

Everything is drawn from one :class:`random.Random`, so a seed reproduces a
run exactly (ids, items, prices; only ``occurredAt`` is the wall clock).
The mix is what a shop sees, plus the cases the saga must reject:

* sku popularity and user activity are skewed (a few best sellers and
  regulars), so popular skus run out before the others;
* 1 to 4 distinct skus per order, mostly one unit each, unit prices with two
  decimals fixed per sku, ``total`` the exact sum of quantity x unitPrice;
* a share of orders is written with the old ``OrderPlaced`` v1 schema, and
  some v2 orders carry a ``promoCode``;
* a share of "oversized" orders asks for more units than any stock holds
  (``OUT_OF_STOCK``), a share of "luxury" orders costs more than any deposit
  covers (``INSUFFICIENT_FUNDS``), and about 1% are invalid (a zero
  quantity, a wrong total or no items: ``INVALID_ORDER``).
"""
from __future__ import annotations

import itertools
import random
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import ClassVar

from pipeline.models import FundsDeposited, OrderItem, OrderPlaced, StockReplenished

#: an oversized order line asks for this many units: more than any seeded stock
OVERSIZED_QUANTITY = 100_000
#: a luxury order line costs this much per unit: more than any seeded balance
LUXURY_PRICE = Decimal("250000.00")
PROMO_CODES = ("SPRING10", "WELCOME5", "FREESHIP", "VIP20")
QUANTITIES, QUANTITY_WEIGHTS = (1, 2, 3, 4), (60, 25, 10, 5)
CENT = Decimal("0.01")


@dataclass(slots=True, kw_only=True)
class OrderPlacedV1(OrderPlaced):
    """An ``OrderPlaced`` to be written with schema version 1 (which has no promoCode).

    Producers pick the writer schema of a record by its ``schema_version``;
    consumers read it back as a plain v2 ``OrderPlaced`` with promoCode None.
    """

    schema_version: ClassVar[int] = 1


@dataclass(frozen=True)
class OrderMix:
    """Shares (0..1) of each kind of order among the generated ones."""

    v1: float = 0.3
    promo: float = 0.25  # of the v2 orders
    oversized: float = 0.01
    luxury: float = 0.01
    invalid: float = 0.01


def sku_id(n: int, namespace: str = "") -> str:
    return f"{namespace}sku-{n:05d}"


def user_id(n: int, namespace: str = "") -> str:
    return f"{namespace}user-{n:04d}"


def now() -> datetime:
    """The current time at the millisecond precision timestamp-millis keeps."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _skewed(rng: random.Random, count: int, exponent: float) -> list[float]:
    """Cumulative Zipf-like weights over ``count`` ids, ranks shuffled so id 0 is not always the top."""
    ranks = list(range(1, count + 1))
    rng.shuffle(ranks)
    return list(itertools.accumulate(1 / rank**exponent for rank in ranks))


class OrderGenerator:
    """Orders over ``skus`` skus and ``users`` users; see the module docstring for the mix."""

    def __init__(self, users: int, skus: int, *, seed: int | None = None, order_prefix: str = "order-",
                 namespace: str = "", mix: OrderMix = OrderMix()) -> None:
        if users < 1 or skus < 1:
            raise ValueError(f"need at least one user and one sku, not {users} users and {skus} skus")
        self.rng = random.Random(seed)
        self.users, self.skus = users, skus
        self.order_prefix, self.namespace, self.mix = order_prefix, namespace, mix
        self.prices = [self._price() for _ in range(skus)]
        self.sku_weights = _skewed(self.rng, skus, 0.5)
        self.user_weights = _skewed(self.rng, users, 0.3)
        #: how many orders of each kind were generated: v1, v2, promo, oversized, luxury, invalid
        self.kinds: Counter[str] = Counter()
        self.numbered = 0  # orders numbered so far by :meth:`orders`

    def _price(self) -> Decimal:
        return Decimal(f"{min(max(self.rng.lognormvariate(3.0, 0.8), 0.99), 999.99):.2f}")

    def order(self, n: int, occurred_at: datetime) -> OrderPlaced:
        """The ``n``-th order (numbers only name it; the draw depends on all before it)."""
        rng, mix = self.rng, self.mix
        picked = dict.fromkeys(rng.choices(range(self.skus), cum_weights=self.sku_weights, k=rng.randint(1, 4)))
        items = [
            OrderItem(sku=sku_id(s, self.namespace), quantity=rng.choices(QUANTITIES, QUANTITY_WEIGHTS)[0],
                      unitPrice=self.prices[s])
            for s in picked
        ]
        kind = rng.random()
        if kind < mix.oversized:
            items[0].quantity = OVERSIZED_QUANTITY
            self.kinds["oversized"] += 1
        elif kind < mix.oversized + mix.luxury:
            items[0].unitPrice = LUXURY_PRICE
            self.kinds["luxury"] += 1
        total = sum((item.quantity * item.unitPrice for item in items), Decimal("0.00"))
        if rng.random() < mix.invalid:
            total = self._spoil(items, total)
            self.kinds["invalid"] += 1
        v1 = rng.random() < mix.v1
        promo = None if v1 or rng.random() >= mix.promo else rng.choice(PROMO_CODES)
        self.kinds["v1" if v1 else "v2"] += 1
        self.kinds["promo"] += promo is not None
        return (OrderPlacedV1 if v1 else OrderPlaced)(
            eventId=_uuid(rng),
            orderId=f"{self.order_prefix}{n:06d}",
            userId=user_id(rng.choices(range(self.users), cum_weights=self.user_weights)[0], self.namespace),
            items=items,
            total=total,
            occurredAt=occurred_at,
            correlationId=_uuid(rng) if rng.random() < 0.5 else None,
            promoCode=promo,
        )

    def _spoil(self, items: list[OrderItem], total: Decimal) -> Decimal:
        """Make the order invalid in one of the contract's ways; the total to send."""
        flaw = self.rng.randrange(3)
        if flaw == 0:
            items[-1].quantity = 0
            return total
        if flaw == 1:
            return total + Decimal("1.00")
        items.clear()
        return Decimal("0.00")


    def orders(self, count: int, occurred_at: datetime | None = None) -> list[OrderPlaced]:
        """The next ``count`` orders, numbered on from the last one."""
        moment = occurred_at or now()
        first, self.numbered = self.numbered + 1, self.numbered + count
        return [self.order(n, moment) for n in range(first, first + count)]


def generate_orders(count: int, users: int, skus: int, *, seed: int | None = None, order_prefix: str = "order-",
                    namespace: str = "", mix: OrderMix = OrderMix(),
                    occurred_at: datetime | None = None) -> list[OrderPlaced]:
    """``count`` orders numbered from 1; v1-written ones are :class:`OrderPlacedV1`."""
    generator = OrderGenerator(users, skus, seed=seed, order_prefix=order_prefix, namespace=namespace, mix=mix)
    return generator.orders(count, occurred_at)


def stock_events(skus: int, quantity: int, *, namespace: str = "") -> list[StockReplenished]:
    """One ``StockReplenished`` of ``quantity`` units per sku."""
    moment = now()
    return [StockReplenished(eventId=str(uuid.uuid4()), sku=sku_id(n, namespace), quantity=quantity,
                             occurredAt=moment) for n in range(skus)]


def deposit_events(users: int, amount: Decimal, *, namespace: str = "") -> list[FundsDeposited]:
    """One ``FundsDeposited`` of ``amount`` per user."""
    moment = now()
    amount = Decimal(amount).quantize(CENT)
    return [FundsDeposited(eventId=str(uuid.uuid4()), userId=user_id(n, namespace), amount=amount,
                           occurredAt=moment) for n in range(users)]
