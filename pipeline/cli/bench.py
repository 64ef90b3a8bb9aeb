"""``orderflow bench``: micro-benchmarks, one subcommand each."""
from __future__ import annotations

import click

from pipeline.bench import latency, profile, report, serde, state, suite, throughput


@click.group("bench")
def command() -> None:
    """Measure the pipeline's hot paths."""


command.add_command(serde.command)
for benchmark in (throughput, latency, state, profile, report, suite):
    command.add_command(benchmark.command)
