"""Serde micro-benchmark: records/s of this serde, confluent-kafka's Avro serde and raw fastavro.

One run measures, on an OrderPlaced of ``--items`` lines, in one thread:

* decoding v2-written and v1-written bytes into the v2 reader schema, with
  ``Deserializer.decode``, confluent-kafka's ``AvroDeserializer`` and a bare
  ``fastavro.schemaless_reader`` call on the same bytes;
* encoding with ``Serializer.encode`` (from a dict and from a model),
  ``AvroSerializer`` and a bare ``fastavro.schemaless_writer`` call.

All contenders are warmed up first, so every registry lookup is cached before
timing starts: what is measured is CPU work only, and it is measured as this
thread's CPU time (records per CPU-second of one core), so other processes
competing for the cores do not count against a contender. Rounds of the
contenders are interleaved and the best round of each is kept (like
:mod:`timeit`), with the garbage collector paused while timing.

    python -m pipeline.bench.serde [--records N] [--rounds R] [--registry mock|URL]
"""
from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO

import click
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from fastavro import schemaless_reader, schemaless_writer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from pipeline.models.examples import order
from pipeline.serde import SchemaRegistry, schemas
from pipeline.serde.admin import set_compatibility
from pipeline.serde.codec import HEADER_SIZE, Serializer

TOPIC = "orderflow-bench-orders"
MOCK_URL = "mock://orderflow-bench"
TARGET = 0.9  # the serde must run at >= 0.9x raw fastavro


@dataclass
class Case:
    operation: str  # "decode v2 -> v2", ...
    implementation: str  # "serde", "confluent", "fastavro"
    run: Callable[[], object]
    rate: float = 0.0


def build_cases(registry: SchemaRegistry, items: int) -> list[Case]:
    """Every contender, each a no-argument callable doing one record's work."""
    v1_version, v2_version = schemas.versions("OrderPlaced")
    subject = f"{TOPIC}-value"
    v2_ser = registry.serializer(TOPIC, "OrderPlaced")
    v1_ser = Serializer(registry, subject, v1_version, topic=TOPIC)
    model = order(items=items, promo_code="SPRING10")
    record = model.to_avro()
    v1_record = {name: value for name, value in record.items() if name != "promoCode"}
    data = {"v1": v1_ser.encode(v1_record), "v2": v2_ser.encode(record)}  # registered in version order

    de = registry.deserializer("OrderPlaced")
    confluent_de = AvroDeserializer(registry.client, v2_version.text)
    confluent_ser = AvroSerializer(registry.client, v2_version.text, conf={"auto.register.schemas": False,
                                                                            "use.latest.version": False})
    ctx = SerializationContext(TOPIC, MessageField.VALUE)
    reader = v2_version.parsed
    raw_writers = {"v2": (reader, None), "v1": (v1_version.parsed, reader)}

    cases = []
    for writer in ("v2", "v1"):
        payload = data[writer]
        raw_writer, raw_reader = raw_writers[writer]
        operation = f"decode {writer} -> v2"
        cases += [
            Case(operation, "serde", lambda p=payload: de.decode(p)),
            Case(operation, "confluent", lambda p=payload: confluent_de(p, ctx)),
            Case(operation, "fastavro",
                 lambda p=payload, w=raw_writer, r=raw_reader: schemaless_reader(BytesIO(p[HEADER_SIZE:]), w, r)),
        ]

    header = v2_ser.header

    def raw_encode() -> bytes:
        buf = BytesIO()
        buf.write(header)
        schemaless_writer(buf, reader, record)
        return buf.getvalue()

    cases += [
        Case("encode v2 (dict)", "serde", lambda: v2_ser.encode(record)),
        Case("encode v2 (dict)", "confluent", lambda: confluent_ser(record, ctx)),
        Case("encode v2 (dict)", "fastavro", raw_encode),
        Case("encode v2 (model)", "serde", lambda: v2_ser.encode(model)),
    ]
    _check_agreement(cases, data["v2"])
    return cases


def _check_agreement(cases: list[Case], v2_bytes: bytes) -> None:
    """Refuse to time contenders that do not produce the same thing."""
    for operation in dict.fromkeys(case.operation for case in cases):
        results = [case.run() for case in cases if case.operation == operation]
        expected = v2_bytes if operation.startswith("encode") else results[0]
        if any(result != expected for result in results):
            raise AssertionError(f"{operation}: contenders disagree: {results}")


def measure(cases: list[Case], records: int, rounds: int, console: Console) -> None:
    """Fill each case's ``rate`` with its best records/s over ``rounds`` interleaved rounds."""
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("timing", total=rounds * len(cases))
        for _ in range(rounds):
            for case in cases:
                run = case.run
                gc_was_enabled = gc.isenabled()
                gc.disable()
                start = time.thread_time()
                for _ in range(records):
                    run()
                elapsed = time.thread_time() - start
                if gc_was_enabled:
                    gc.enable()
                case.rate = max(case.rate, records / elapsed)
                progress.advance(task)


def report(cases: list[Case], registry_note: str, items: int, records: int, rounds: int) -> Table:
    """One row per operation: the three rates and the ratios that matter."""
    table = Table(title=f"Serde throughput: OrderPlaced with {items} items, records per CPU-second of "
                        f"one thread, best of {rounds} x {records:,} records",
                  caption=f"registry: {registry_note}")
    for column in ("operation", "serde rec/s", "confluent rec/s", "raw fastavro rec/s",
                   "serde / fastavro", "serde / confluent"):
        table.add_column(column, justify="left" if column == "operation" else "right")
    by_key = {(case.operation, case.implementation): case.rate for case in cases}
    for operation in dict.fromkeys(case.operation for case in cases):
        serde = by_key[(operation, "serde")]
        confluent = by_key.get((operation, "confluent"))
        raw = by_key.get((operation, "fastavro")) or by_key[(operation.replace("model", "dict"), "fastavro")]
        ratio = serde / raw
        style = "green" if ratio >= TARGET else "red"
        table.add_row(
            operation,
            f"{serde:,.0f}",
            f"{confluent:,.0f}" if confluent else "-",
            f"{raw:,.0f}",
            f"[{style}]{ratio:.2f}x[/{style}]",
            f"{serde / confluent:.2f}x" if confluent else "-",
        )
    return table


def open_registry(registry: str) -> tuple[SchemaRegistry, str]:
    """The registry to benchmark against and a sentence saying which it is."""
    if registry == "auto":
        registry = os.environ.get("SCHEMA_REGISTRY_URL", "").strip() or "mock"
    if registry == "mock":
        return SchemaRegistry(MOCK_URL), (
            "confluent-kafka's in-memory mock (mock://); every lookup is cached before timing, "
            "so a real registry would give the same CPU-only figures")
    real = SchemaRegistry(registry, retry_for=10.0)
    set_compatibility(real, f"{TOPIC}-value")  # like every subject of the pipeline
    return real, f"{registry} (lookups cached before timing)"


@click.command("serde")
@click.option("--records", default=2_000, show_default=True, help="Records per timed round.")
@click.option("--rounds", default=30, show_default=True, help="Rounds per contender; the best one counts.")
@click.option("--items", default=3, show_default=True, help="Lines in the benchmarked order.")
@click.option("--registry", default="auto", show_default=True,
              help="'mock', a registry URL, or 'auto' ($SCHEMA_REGISTRY_URL if set, else mock).")
def command(records: int, rounds: int, items: int, registry: str) -> None:
    """Records/s of the serde vs confluent-kafka's Avro serde vs raw fastavro."""
    console = Console()
    client, note = open_registry(registry)
    cases = build_cases(client, items)
    measure(cases, records, rounds, console)
    console.print(report(cases, note, items, records, rounds))
    console.print(f"target: serde >= {TARGET:.1f}x raw fastavro "
                  "(decoding v2 skips schema resolution; v1 data needs it, for all three)")


if __name__ == "__main__":
    command()
