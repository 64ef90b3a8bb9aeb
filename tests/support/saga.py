"""Seed, load and check the saga the way the contract states its guarantees."""
from __future__ import annotations

import asyncio
import json
import random
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from pipeline.models import OrderPlaced
from support.events import SETTLE_SECONDS, by_order, deposit, order, outcomes_for, publish, stock


def http_json(url: str, *, settle: float = 60.0) -> dict:
    """GET ``url``; a 404 is retried for ``settle`` seconds, the time a partition that has
    just moved between workers may take to be restored by its new owner."""
    deadline = time.monotonic() + settle
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code != 404 or time.monotonic() > deadline:
                raise
        time.sleep(1)


@dataclass
class SagaLoad:
    """``orders`` orders over ``skus`` skus and ``users`` users, all ids under ``prefix``."""

    prefix: str
    orders: int
    skus: int = 20
    users: int = 50
    stock_per_sku: int = 800
    deposit: str = "3000.00"
    seed: int = 7
    placed: list[OrderPlaced] = field(default_factory=list)

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        self.placed = [
            order(f"{self.prefix}o{n:05d}", self.user(rng.randrange(self.users)), [
                (self.sku(rng.randrange(self.skus)), rng.randint(1, 3), f"{rng.randint(100, 2000) / 100:.2f}")
                for _ in range(rng.randint(1, 3))
            ])
            for n in range(self.orders)
        ]

    def sku(self, i: int) -> str:
        return f"{self.prefix}s{i:03d}"

    def user(self, i: int) -> str:
        return f"{self.prefix}u{i:03d}"

    def seed_state(self, settings) -> None:
        asyncio.run(publish(settings, "stock", [stock(self.sku(i), self.stock_per_sku) for i in range(self.skus)]))
        asyncio.run(publish(settings, "deposits", [deposit(self.user(i), self.deposit) for i in range(self.users)]))

    def publish_orders(self, settings, start: int = 0, stop: int | None = None) -> None:
        asyncio.run(publish(settings, "orders", self.placed[start:stop]))

    def first_half_then_stop(self, settings, worker) -> None:
        """Seed the tables, let ``worker`` decide the first half of the orders, and stop it cleanly."""
        half = self.orders // 2
        self.seed_state(settings)
        self.publish_orders(settings, 0, half)
        self.outcomes(settings, expected=half)
        assert worker.stop() == 0

    def second_half_and_check(self, settings, url: str) -> Counter:
        """Send the other half of the orders and check every outcome and table."""
        self.publish_orders(settings, self.orders // 2)
        return self.check(self.outcomes(settings, expected=self.orders), url)

    def outcomes(self, settings, expected: int, timeout: float = 300,
                 settle: float = SETTLE_SECONDS) -> dict[str, list[dict]]:
        return by_order(asyncio.run(outcomes_for(settings, self.prefix, expected=expected, timeout=timeout,
                                                 settle=settle)))

    def check(self, grouped: dict[str, list[dict]], url: str) -> Counter:
        """Assert the contract: one outcome per order, and tables that agree with them."""
        assert len(grouped) == self.orders, f"lost {self.orders - len(grouped)} orders"
        repeated = {oid: len(found) for oid, found in grouped.items() if len(found) > 1}
        assert not repeated, f"{len(repeated)} orders have more than one outcome"
        sold: Counter[str] = Counter()
        spent: Counter[str] = Counter()
        placed = {o.orderId: o for o in self.placed}
        for oid, (outcome,) in grouped.items():
            if outcome["status"] == "CONFIRMED":
                for item in placed[oid].items:
                    sold[item.sku] += item.quantity
                spent[placed[oid].userId] += placed[oid].total
        for i in range(self.skus):
            row = http_json(f"{url}/inventory/{self.sku(i)}")
            assert row["reserved"] == 0, row
            assert row["sold"] == sold[self.sku(i)], row
            assert row["available"] + row["reserved"] + row["sold"] == self.stock_per_sku, row
        for i in range(self.users):
            balance = Decimal(http_json(f"{url}/balances/{self.user(i)}")["balance"])
            assert balance == Decimal(self.deposit) - spent[self.user(i)], self.user(i)
        return Counter(found[0]["reason"] or found[0]["status"] for found in grouped.values())
