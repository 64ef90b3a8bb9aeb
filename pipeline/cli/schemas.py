"""``orderflow schemas``: register, list and check the Avro schemas; show their evolution."""
from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline.serde import SchemaRegistry, schemas
from pipeline.serde.admin import check as check_compatibility
from pipeline.serde.admin import describe, register_all
from pipeline.settings import Settings

registry_option = click.option(
    "--registry-url", envvar="SCHEMA_REGISTRY_URL", default=lambda: Settings.from_env().registry_url,
    show_default="$SCHEMA_REGISTRY_URL", help="Confluent-compatible registry API.")


@click.group("schemas")
def command() -> None:
    """Avro schemas of schemas/avro/ in the schema registry."""


@command.command()
@registry_option
def register(registry_url: str) -> None:
    """Register every subject's versions, oldest first, and set BACKWARD per subject (idempotent)."""
    done = register_all(SchemaRegistry(registry_url))
    table = Table(title=f"Registered in {registry_url} (compatibility BACKWARD per subject)")
    for column in ("subject", "record", "file", "schema id"):
        table.add_column(column, overflow="fold")
    for row in done:
        table.add_row(row.subject, row.record, row.file, str(row.schema_id))
    Console().print(table)


@command.command("list")
@registry_option
@click.option("--prefix", default="", help="Only subjects starting with this.")
def list_(registry_url: str, prefix: str) -> None:
    """Show subjects, their versions and schema ids."""
    rows = describe(SchemaRegistry(registry_url), prefix)
    table = Table(title=f"Subjects in {registry_url}")
    for column in ("subject", "version", "schema id", "record", "fields", "compatibility"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row.subject, str(row.version), str(row.schema_id), row.record, str(row.fields),
                      row.compatibility)
    Console().print(table if rows else f"no subjects in {registry_url}")


@command.command()
@registry_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--subject", required=True, help="Subject to test against, e.g. orders-value.")
def check(registry_url: str, file: str, subject: str) -> None:
    """Test FILE against SUBJECT's versions; exit status 1 when incompatible."""
    verdict = check_compatibility(SchemaRegistry(registry_url), subject, schemas.load(file))
    console = Console()
    if verdict.compatible:
        console.print(f"[green]compatible[/]: {verdict.candidate} with subject {subject}")
    else:
        console.print(f"[red]incompatible[/]: {verdict.candidate} with subject {subject}")
    for message in verdict.messages:
        console.print(f"  - {escape(message)}")
    sys.exit(0 if verdict.compatible else 1)


@command.command("evolve-demo")
@registry_option
@click.option("--bootstrap-servers", envvar="KAFKA_BOOTSTRAP_SERVERS",
              default=lambda: Settings.from_env().bootstrap_servers, show_default="$KAFKA_BOOTSTRAP_SERVERS")
@click.option("--per-version", default=3, show_default=True, help="Orders produced with each version.")
@click.option("--keep", is_flag=True, help="Leave the demo topic and subject in place.")
def evolve_demo(registry_url: str, bootstrap_servers: str, per_version: int, keep: bool) -> None:
    """v1 then v2 orders in one partition, one v2 consumer reading both, v3 refused."""
    from pipeline.serde import demo

    demo.run(SchemaRegistry(registry_url), bootstrap_servers, Console(), per_version=per_version, keep=keep)
