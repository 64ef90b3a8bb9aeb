"""``orderflow produce``: write realistic orders, stock and deposits to the input topics."""
from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from decimal import Decimal

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from pipeline.generate import OrderGenerator, Produced, deposit_events, produce, stock_events
from pipeline.models import AvroModel
from pipeline.settings import Settings

console = Console()
namespace_option = click.option("--namespace", default="", show_default=True,
                                help="Prefix of the sku and user ids (e.g. 'shop2-' for shop2-sku-00042).")


def progress_bar(con: Console = console) -> Progress:
    """The progress bar of every long step: bar, n of total, percent, rate-friendly timings."""
    return Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
                    TimeElapsedColumn(), TimeRemainingColumn(), console=con)


def send(settings: Settings, topic: str, records: Sequence[AvroModel], rate: float = 0.0) -> Produced:
    """``produce`` with a progress bar, from synchronous code."""
    with progress_bar() as bar:
        task = bar.add_task(f"{topic}", total=len(records))
        return asyncio.run(produce(settings, topic, records, rate=rate,
                                   progress=lambda n: bar.advance(task, n)))


def summary(produced: Produced, details: dict[str, object]) -> Table:
    table = Table(title=f"produced to {produced.topic}", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("records", f"{produced.count:,}")
    table.add_row("seconds", f"{produced.seconds:.2f}")
    table.add_row("records/s", f"{produced.rate:,.0f}")
    for name, value in details.items():
        table.add_row(name, str(value))
    return table


@click.group("produce")
def command() -> None:
    """Write generated events to the input topics (orders, stock, deposits)."""


@command.command()
@click.option("--count", "-n", default=1000, show_default=True, help="Orders to send.")
@click.option("--rate", default=0.0, show_default=True, help="Orders per second (0: as fast as possible).")
@click.option("--users", default=100, show_default=True, help="Distinct users (user-0000...).")
@click.option("--skus", default=50, show_default=True, help="Distinct skus (sku-00000...).")
@click.option("--seed", type=int, default=None, help="Seed of the generator: same seed, same orders.")
@click.option("--prefix", default=None,
              help="orderId prefix (default: 'order-<random>-', so every run's orders are new).")
@namespace_option
def orders(count, rate, users, skus, seed, prefix, namespace) -> None:
    """A realistic mix of v1 and v2 orders, including ones to reject."""
    settings = Settings.from_env()
    prefix = prefix if prefix is not None else f"order-{secrets.token_hex(3)}-"
    generator = OrderGenerator(users, skus, seed=seed, order_prefix=prefix, namespace=namespace)
    records = generator.orders(count)
    produced = send(settings, "orders", records, rate)
    kinds = generator.kinds
    console.print(summary(produced, {
        "orderIds": f"{prefix}{1:06d} .. {prefix}{count:06d}" if count else "-",
        "written as v1 / v2": f"{kinds['v1']:,} / {kinds['v2']:,}",
        "with a promoCode": f"{kinds['promo']:,}",
        "oversized (out of stock)": f"{kinds['oversized']:,}",
        "luxury (beyond any balance)": f"{kinds['luxury']:,}",
        "invalid": f"{kinds['invalid']:,}",
    }))


@command.command()
@click.option("--skus", default=50, show_default=True, help="Skus to replenish (sku-00000...).")
@click.option("--quantity", default=300, show_default=True, help="Units added to each sku.")
@namespace_option
def stock(skus, quantity, namespace) -> None:
    """One StockReplenished per sku."""
    produced = send(Settings.from_env(), "stock", stock_events(skus, quantity, namespace=namespace))
    console.print(summary(produced, {"units per sku": f"{quantity:,}"}))


@command.command()
@click.option("--users", default=100, show_default=True, help="Users to credit (user-0000...).")
@click.option("--amount", type=Decimal, default=Decimal("2000.00"), show_default=True,
              help="Amount deposited for each user.")
@namespace_option
def deposits(users, amount, namespace) -> None:
    """One FundsDeposited per user."""
    produced = send(Settings.from_env(), "deposits", deposit_events(users, amount, namespace=namespace))
    console.print(summary(produced, {"amount per user": f"{amount:.2f}"}))
