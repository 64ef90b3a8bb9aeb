"""The ``orderflow`` command line: one group, one module per subcommand."""
from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """orderflow: an event-driven order pipeline on Faust and Kafka."""


def _register() -> None:
    # Each subcommand module defines one click command or group named after it.
    from pipeline.cli import bench, demo, lag, produce, query, schemas, stack, worker

    for module in (bench, demo, lag, produce, query, schemas, stack, worker):
        main.add_command(module.command)


_register()
