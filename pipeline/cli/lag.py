"""``orderflow lag``: a consumer group's lag per partition, read from Kafka's admin API.

The lag is the one of ``orderflow_consumer_lag`` (see :mod:`pipeline.metrics.lag`):
transaction markers and aborted records left after the committed offset do
not count, so a caught-up group shows 0 everywhere.
"""
from __future__ import annotations

import time

import click
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from pipeline.metrics.lag import LagError, LagReader, PartitionLag
from pipeline.settings import Settings

console = Console()


def lag_table(group: str, rows: list[PartitionLag], all_partitions: bool) -> Table:
    shown = [row for row in rows if all_partitions or row.lag or row.end]
    table = Table(title=f"consumer group {group}", caption=f"total lag {sum(r.lag for r in rows)}")
    for column, justify in (("group", "left"), ("topic", "left"), ("partition", "right"),
                            ("committed", "right"), ("end", "right"), ("lag", "right")):
        table.add_column(column, justify=justify)
    for row in shown:
        table.add_row(
            row.group, row.topic, str(row.partition), "-" if row.committed is None else str(row.committed),
            str(row.end), Text(str(row.lag), style="bold red" if row.lag else "green"),
        )
    return table


@click.command("lag")
@click.option("-g", "--group", default="orderflow", show_default=True, help="Consumer group.")
@click.option("-w", "--watch", is_flag=True, help="Refresh until interrupted.")
@click.option("-i", "--interval", type=float, default=2.0, show_default=True,
              help="Seconds between two refreshes with --watch.")
@click.option("-a", "--all", "all_partitions", is_flag=True, help="Also show empty partitions.")
def command(group: str, watch: bool, interval: float, all_partitions: bool) -> None:
    """Show committed offset, end offset and lag of every partition the group consumes."""
    reader = LagReader(Settings.from_env().bootstrap_servers)

    def render() -> Table:
        try:
            return lag_table(group, reader.read(group), all_partitions)
        except LagError as exc:
            raise click.ClickException(str(exc)) from exc

    try:
        if not watch:
            console.print(render())
            return
        with Live(render(), console=console, auto_refresh=False) as live:
            while True:
                time.sleep(interval)
                live.update(Group(render(), Text(f"refreshed {time.strftime('%H:%M:%S')}", style="dim")),
                            refresh=True)
    except KeyboardInterrupt:
        pass
    finally:
        reader.close()
