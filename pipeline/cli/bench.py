"""``orderflow bench``: micro-benchmarks, one subcommand each."""
from __future__ import annotations

import click

from pipeline.bench import serde


@click.group("bench")
def command() -> None:
    """Measure the pipeline's hot paths."""


command.add_command(serde.command)
