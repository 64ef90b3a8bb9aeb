"""``orderflow query``: ask a worker's HTTP API, print the answer as a table.

Any worker answers for the whole cluster: key lookups are forwarded to the
key's owner, analytics are gathered from every worker.
"""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from pipeline.settings import DEFAULT_WEB_PORT

console = Console()
TIMEOUT = 30.0


def default_url() -> str:
    return f"http://localhost:{os.environ.get('ORDERFLOW_WEB_PORT') or DEFAULT_WEB_PORT}"


def fetch(url: str, path: str, **params: Any) -> dict:
    """GET ``path`` from the worker at ``url``; a 4xx/5xx answer becomes a click error naming it."""
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    target = f"{url.rstrip('/')}{path}{'?' + query if query else ''}"
    try:
        with urllib.request.urlopen(target, timeout=TIMEOUT) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        try:
            detail = json.load(exc).get("error", exc.reason)
        except ValueError:
            detail = exc.reason
        raise click.ClickException(f"{target}: {exc.code} {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise click.ClickException(f"no worker answers at {url}: {exc}") from None


def record_table(title: str, record: dict) -> Table:
    table = Table(title=title, show_header=False)
    table.add_column(style="bold")
    table.add_column()
    for key, value in record.items():
        table.add_row(key, "-" if value is None else str(value))
    return table


def rows_table(title: str, columns: list[str], rows: list[dict], caption: str | None = None) -> Table:
    table = Table(title=title, caption=caption)
    for column in columns:
        table.add_column(column, justify="left" if column in ("sku", "start", "reason") else "right")
    for row in rows:
        table.add_row(*(str(row[column]) for column in columns))
    return table


def completeness(answer: dict) -> str | None:
    missing = answer.get("missingPartitions")
    return f"incomplete: no worker answered for partitions {missing}" if missing else None


url_option = click.option("--url", default=default_url, show_default="http://localhost:$ORDERFLOW_WEB_PORT",
                          help="Any worker's HTTP address.")


@click.group("query")
def command() -> None:
    """Query the pipeline's state and analytics through a worker."""


@command.command()
@click.argument("sku")
@url_option
def inventory(url: str, sku: str) -> None:
    """Available, reserved and sold units of SKU."""
    console.print(record_table(f"inventory {sku}", fetch(url, f"/inventory/{urllib.parse.quote(sku)}")))


@command.command()
@click.argument("user_id", metavar="USER")
@url_option
def balance(url: str, user_id: str) -> None:
    """The balance of USER."""
    console.print(record_table(f"balance {user_id}", fetch(url, f"/balances/{urllib.parse.quote(user_id)}")))


@command.command()
@click.argument("order_id", metavar="ID")
@url_option
def order(url: str, order_id: str) -> None:
    """The status of order ID."""
    console.print(record_table(f"order {order_id}", fetch(url, f"/orders/{urllib.parse.quote(order_id)}")))


@command.command()
@click.option("--last", default="10m", show_default=True, help="Time span: 30s, 10m, 2h, 1d.")
@url_option
def revenue(url: str, last: str) -> None:
    """Revenue and orders per one-minute window."""
    answer = fetch(url, "/analytics/revenue", last=last)
    total = answer["total"]
    caption = f"total: {total['orders']} orders, {total['confirmed']} confirmed, revenue {total['revenue']}"
    console.print(rows_table(f"revenue, last {last}", ["start", "orders", "confirmed", "rejected", "revenue"],
                             answer["windows"], completeness(answer) or caption))


@command.command("top-skus")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000))
@url_option
def top_skus(url: str, limit: int) -> None:
    """The skus with the most units sold."""
    answer = fetch(url, "/analytics/top-skus", limit=limit)
    console.print(rows_table(f"top {limit} skus by units sold", ["sku", "sold"], answer["skus"],
                             completeness(answer)))


@command.command()
@click.option("--last", default="24h", show_default=True, help="Time span: 30s, 10m, 2h, 1d.")
@url_option
def rejections(url: str, last: str) -> None:
    """Rejection rate by reason."""
    answer = fetch(url, "/analytics/rejections", last=last)
    rows = [{**r, "rate": f"{r['rate']:.1%}"} for r in answer["reasons"]]
    caption = f"{answer['rejected']} of {answer['orders']} orders rejected ({answer['rate']:.1%})"
    console.print(rows_table(f"rejections, last {last}", ["reason", "count", "rate"], rows,
                             completeness(answer) or caption))
