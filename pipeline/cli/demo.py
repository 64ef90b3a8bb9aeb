"""``orderflow demo``: the whole pipeline on one machine, end to end, with a summary."""
from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import click
from platformdirs import user_data_dir
from rich.console import Console

from pipeline.settings import Settings


@click.command("demo")
@click.option("--orders", "-n", default=10_000, show_default=True, help="Orders to send.")
@click.option("--users", type=int, default=None, help="Distinct users [default: orders / 10].")
@click.option("--skus", type=int, default=None, help="Distinct skus [default: orders / 20].")
@click.option("--stock", default=300, show_default=True, help="Units of each sku in stock.")
@click.option("--deposit", type=Decimal, default=Decimal("2000.00"), show_default=True,
              help="Amount each user deposits.")
@click.option("--seed", default=42, show_default=True, help="Seed of the order generator.")
@click.option("--rate", default=0.0, show_default=True, help="Orders per second (0: as fast as possible).")
@click.option("--web-port", type=int, default=None, help="The worker's HTTP port [default: ORDERFLOW_WEB_PORT or 6066].")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Worker tables, worker log and demo-summary.json [default: ORDERFLOW_DATA_DIR, "
                   "else <user data dir>/orderflow/demo].")
@click.option("--timeout", default=600.0, show_default=True,
              help="Seconds to wait for the outcomes once every order is sent.")
def command(orders, users, skus, stock, deposit, seed, rate, web_port, data_dir, timeout) -> None:
    """Start the stack (unless KAFKA_BOOTSTRAP_SERVERS is set), register the schemas, run a worker,
    stock and fund a fresh catalog, send orders and wait for every outcome, then summarize.

    The stack is left running (`orderflow stack down` stops it); the worker is stopped.
    """
    from pipeline.demo.errors import DemoError
    from pipeline.demo.report import look_further, render
    from pipeline.demo.run import Demo, DemoOptions

    console = Console()
    settings = Settings.from_env()
    options = DemoOptions(
        data_dir=data_dir or Path(os.environ.get("ORDERFLOW_DATA_DIR") or Path(user_data_dir("orderflow")) / "demo"),
        web_port=web_port or settings.web_port, orders=orders,
        users=users or max(10, orders // 10), skus=skus or max(10, orders // 20),
        stock=stock, deposit=deposit, seed=seed, rate=rate, timeout=timeout,
    )
    demo = Demo(options, console)
    try:
        summary = demo.run()
    except DemoError as error:
        raise click.ClickException(str(error)) from error
    render(summary, console)
    look_further(summary, console, stack_managed=demo.stack is not None, web_port=options.web_port)
    console.print(f"summary as JSON: {options.summary_path}")
    if summary.decided != summary.orders or summary.duplicates or summary.state_differences:
        raise click.ClickException("the run did not add up (see above): every order must have exactly one "
                                   "outcome and every balance and sku must match its events")
