"""``orderflow bench``: micro-benchmarks, one subcommand each."""
from __future__ import annotations

import click

from pipeline.bench import profile, serde, throughput


@click.group("bench")
def command() -> None:
    """Measure the pipeline's hot paths."""


command.add_command(serde.command)
for benchmark in (throughput, profile):
    command.add_command(benchmark.command)
