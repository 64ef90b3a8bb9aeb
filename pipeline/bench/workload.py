"""The input of a benchmark: generated orders, and stock and balances seeded to fit them.

Orders come from :mod:`pipeline.generate` (skewed skus and users, 1-4 lines,
v1 and v2 writers, and a few orders that must be rejected). Stock and
deposits are sized from the orders themselves, so that most orders are
confirmed: every sku gets a little more than the most demanded sku needs,
every user a little more than the biggest spender spends, yet less than the
oversized and luxury orders ask for, which stay rejected.
"""
from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.generate import (
    LUXURY_PRICE,
    OVERSIZED_QUANTITY,
    OrderGenerator,
    deposit_events,
    produce,
    stock_events,
)
from pipeline.models import AvroModel, FundsDeposited, OrderPlaced, StockReplenished
from pipeline.settings import Settings

ORDER_PREFIX = "bench-order-"
HEADROOM = 1.2


def mix_options(command):
    """``--users`` and ``--skus``: the catalog the orders are drawn from."""
    command = click.option("--skus", default=2_000, show_default=True, help="Distinct skus in the orders.")(command)
    return click.option("--users", default=10_000, show_default=True, help="Distinct users placing them.")(command)


@dataclass
class Workload:
    orders: list[OrderPlaced]
    stock: list[StockReplenished]
    deposits: list[FundsDeposited]
    #: the units each sku is seeded with, and the amount each user deposits
    stock_quantity: int
    deposit: Decimal

    def describe(self) -> dict:
        return {"orders": len(self.orders), "skus": len(self.stock), "users": len(self.deposits),
                "stock_per_sku": self.stock_quantity, "deposit_per_user": str(self.deposit)}


def build(orders: int, users: int, skus: int, seed: int = 42, prefix: str = ORDER_PREFIX) -> Workload:
    """``orders`` orders over ``users`` users and ``skus`` skus, and the seeds that fit them."""
    generated = OrderGenerator(users, skus, seed=seed, order_prefix=prefix).orders(orders)
    demand: Counter[str] = Counter()
    spend: Counter[str] = Counter()
    for order in generated:
        if any(item.quantity >= OVERSIZED_QUANTITY for item in order.items):
            continue
        for item in order.items:
            demand[item.sku] += item.quantity
        if all(item.unitPrice < LUXURY_PRICE for item in order.items):
            spend[order.userId] += order.total
    quantity = min(OVERSIZED_QUANTITY - 1, int(max(demand.values(), default=0) * HEADROOM) + 10)
    deposit = min(LUXURY_PRICE - 1, (max(spend.values(), default=Decimal(0)) * Decimal(HEADROOM)).quantize(
        Decimal("1")) + 100)
    return Workload(generated, stock_events(skus, quantity), deposit_events(users, deposit), quantity, deposit)


def progress_bar(console: Console) -> Progress:
    return Progress(TextColumn("{task.description:<34}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True)


def send(settings: Settings, topic: str, records: Sequence[AvroModel], console: Console,
         rate: float = 0.0) -> float:
    """Produce ``records`` to ``topic`` (stamping occurredAt) with a progress bar; records/s."""
    # A topic just re-created has leaders the producer's first metadata may not know yet:
    # aiokafka retries those sends and warns about each, which would bury the progress bar.
    logging.getLogger("aiokafka.producer.sender").setLevel(logging.ERROR)
    with progress_bar(console) as bar:
        task = bar.add_task(f"producing {topic}", total=len(records))
        produced = asyncio.run(produce(settings, topic, records, rate=rate,
                                       progress=lambda n: bar.advance(task, n)))
    return produced.rate


def send_seeds(settings: Settings, workload: Workload, console: Console) -> None:
    send(settings, "stock", workload.stock, console)
    send(settings, "deposits", workload.deposits, console)
