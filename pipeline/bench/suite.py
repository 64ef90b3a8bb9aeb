"""``orderflow bench all``: every benchmark on one private stack, then the README report.

Sizes default to the full ones of each benchmark; the options shrink them for
a quicker pass (the README then says which sizes its figures come from).
"""
from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from pipeline.bench import latency, profile, report, results, state, throughput
from pipeline.bench.cluster import bench_cluster, stack_option


@click.command("all")
@click.option("--orders", default=200_000, show_default=True, help="Throughput: orders.")
@click.option("--repeat", default=3, show_default=True, help="Throughput: runs per contender.")
@click.option("--rates", default="1000,5000", show_default=True, help="Latency: orders/s.")
@click.option("--duration", default=60.0, show_default=True, help="Latency: seconds per rate.")
@click.option("--skus", default=1_000_000, show_default=True, help="State: skus seeded.")
@click.option("--profile-orders", default=20_000, show_default=True, help="Profile: orders sampled.")
@stack_option
@results.results_option
def command(orders: int, repeat: int, rates: str, duration: float, skus: int, profile_orders: int,
            stack_mode: str, results_dir: Path) -> None:
    """Throughput, latency, state and profile, then `bench report`."""
    console = Console()
    latency_options = latency.Options(rates=latency.parse_rates(rates), duration=duration)
    with bench_cluster(stack_mode, console) as settings:
        steps = [
            ("throughput", lambda: throughput.run(settings, console, throughput.Options(orders=orders, repeat=repeat)),
             throughput.show),
            ("latency", lambda: latency.run(settings, console, latency_options), latency.show),
            ("state", lambda: state.run(settings, console, state.Options(skus=skus)), state.show),
            ("profile", lambda: profile.run(settings, console, throughput.Options(orders=profile_orders), 15),
             lambda record, out: profile.show(record["results"], out)),
        ]
        for name, measure, show in steps:
            console.rule(f"bench {name}")
            record = measure()
            path = results.save(name, record["settings"], record["results"], results_dir)
            show(record, console)
            console.print(f"written {path}")
    console.rule("bench report")
    report.run(results_dir, report.README, console)
