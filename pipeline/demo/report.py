"""The demo's summary: figures of one run, as rich tables and as JSON."""
from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table

from pipeline.demo.lag import Lag

REASONS = ("OUT_OF_STOCK", "INSUFFICIENT_FUNDS", "INVALID_ORDER")


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95, p99 and max of ``values`` (all 0 when there are none)."""
    if len(values) < 2:
        top = max(values, default=0.0)
        return {"p50": top, "p95": top, "p99": top, "max": top}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": max(values)}


@dataclass
class Summary:
    run_id: str
    orders: int
    users: int
    skus: int
    confirmed: int
    rejected: dict[str, int]
    duplicates: int
    written: dict[str, int]  # generated kinds: v1, v2, promo, oversized, luxury, invalid
    send_seconds: float
    decide_seconds: float  # first order sent -> last outcome read
    latency_ms: dict[str, float]  # outcome.occurredAt - order.occurredAt
    lag: Lag
    state_differences: dict[str, list]  # key -> [expected, actual], after the saga settled
    inventory: list[dict] = field(default_factory=list)
    balances: list[dict] = field(default_factory=list)
    example_orders: dict[str, str] = field(default_factory=dict)  # status/reason -> an orderId
    worker_log: str = ""
    web_url: str = ""

    @property
    def decided(self) -> int:
        return self.confirmed + sum(self.rejected.values())

    @property
    def orders_per_second(self) -> float:
        return self.decided / self.decide_seconds if self.decide_seconds > 0 else 0.0

    def to_json(self) -> str:
        data = asdict(self)
        data.update(decided=self.decided, orders_per_second=self.orders_per_second)
        return json.dumps(data, indent=1, default=lambda v: str(v) if isinstance(v, Decimal) else repr(v))

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json() + "\n")


def _pairs(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    for name, value in rows:
        table.add_row(name, value)
    return table


def _records(title: str, columns: tuple[str, ...], rows: list[dict]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, justify="left" if column in ("sku", "userId") else "right")
    for row in rows:
        table.add_row(*(str(row[column]) for column in columns))
    return table


def render(summary: Summary, console: Console) -> None:
    share = (lambda n: f"{n:,} ({100 * n / summary.orders:.1f}%)") if summary.orders else str
    outcomes = _pairs(f"demo run {summary.run_id}", [
        ("orders sent", f"{summary.orders:,}"),
        ("  written with schema v1 / v2", f"{summary.written.get('v1', 0):,} / {summary.written.get('v2', 0):,}"),
        ("  v2 with a promoCode", f"{summary.written.get('promo', 0):,}"),
        ("confirmed", share(summary.confirmed)),
        *((f"rejected: {reason}", share(summary.rejected.get(reason, 0))) for reason in REASONS),
        ("confirmed + rejected", f"{summary.decided:,}"),
        ("duplicate outcomes", f"{summary.duplicates:,}"),
    ])
    speed = _pairs("throughput and latency", [
        ("orders sent in", f"{summary.send_seconds:.2f} s ({summary.orders / max(summary.send_seconds, 1e-9):,.0f}/s)"),
        ("all decided in", f"{summary.decide_seconds:.2f} s"),
        ("orders decided per s", f"{summary.orders_per_second:,.0f}"),
        *((f"order -> outcome {name}", f"{value:,.0f} ms") for name, value in summary.latency_ms.items()),
    ])
    lag = _pairs(f"consumer group orderflow ({summary.lag.partitions} partitions)", [
        ("lag: records left (`orderflow lag`)", f"{summary.lag.records:,}"),
        ("end - committed offsets (+ txn markers)", f"{summary.lag.offsets:,}"),
    ])
    console.print(outcomes, speed, lag)
    console.print(_records("inventory of the most ordered skus (GET /inventory/{sku})",
                           ("sku", "available", "reserved", "sold", "stocked"), summary.inventory))
    console.print(_records("balances of the busiest users (GET /balances/{userId})",
                           ("userId", "balance", "deposited", "confirmed orders"), summary.balances))
    if summary.state_differences:
        sample = list(summary.state_differences.items())[:5]
        console.print(f"[red]{len(summary.state_differences)} skus/users differ from deposits minus confirmed "
                      f"orders[/], e.g. " + "; ".join(f"{key}: expected {e}, got {a}" for key, (e, a) in sample))
    else:
        console.print("[green]every sku and balance of the run equals what its events imply[/] "
                      "(available + reserved + sold = stocked, balance = deposit - confirmed totals)")


def look_further(summary: Summary, console: Console, stack_managed: bool, web_port: int) -> None:
    order = summary.example_orders
    host = f"localhost:{web_port}"
    lines = [f"worker log of this run: {summary.worker_log}", "",
             f"start a worker (the demo's one has stopped): [bold]orderflow worker[/] --web-port {web_port}"]
    lines += [f"  curl {host}/orders/{order[what]}    # {what}" for what in ("CONFIRMED", *REASONS) if what in order]
    if summary.inventory:
        lines.append(f"  curl {host}/inventory/{summary.inventory[0]['sku']}")
    if summary.balances:
        lines.append(f"  curl {host}/balances/{summary.balances[0]['userId']}")
    lines += [f"  curl {host}/metrics", "",
              "more orders: [bold]orderflow produce orders --count 1000 --rate 200[/]",
              "schemas: [bold]orderflow schemas list[/]"]
    if stack_managed:
        lines += ["stack: [bold]orderflow stack status[/], [bold]orderflow stack logs[/]",
                  "the stack keeps running; stop it with [bold]orderflow stack down[/]"]
    else:
        lines.append("the cluster is the one of KAFKA_BOOTSTRAP_SERVERS; the demo left it as it was")
    console.print(Panel(Group(*lines), title="look further", title_align="left"))
