"""Schema evolution, live: v1 and v2 orders in one partition, read by one v2 consumer.

The demo uses a topic of its own (``orders-evolve-demo-<n>``), so its orders
never reach the saga, but the same subject rules as ``orders``: subject
``<topic>-value``, BACKWARD compatibility, v1 then v2 registered, the
breaking v3 refused.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from pipeline.models import OrderPlaced
from pipeline.models.examples import order
from pipeline.serde import schemas
from pipeline.serde.admin import check, set_compatibility
from pipeline.serde.codec import Serializer, schema_id_of
from pipeline.serde.errors import RegistryError
from pipeline.serde.registry import SchemaRegistry
from pipeline.serde.subjects import value_subject

BREAKING = schemas.SCHEMA_DIR / "examples" / "OrderPlaced.v3-breaking.avsc"
PROMO_CODES = ("SPRING10", "WELCOME5", "VIP20")


@dataclass(frozen=True)
class ReadBack:
    offset: int
    schema_id: int
    version: int
    order: OrderPlaced
    resolved: bool


def run(registry: SchemaRegistry, bootstrap_servers: str, console: Console, *, per_version: int = 3,
        keep: bool = False) -> list[ReadBack]:
    """Tell the story step by step on ``console``; return what the consumer read."""
    topic = f"orders-evolve-demo-{int(time.time())}"
    subject = value_subject(topic)
    v1, v2 = schemas.versions("OrderPlaced")
    console.rule("[bold]Schema evolution of OrderPlaced")
    console.print(f"Topic [cyan]{topic}[/] (1 partition), subject [cyan]{subject}[/], compatibility BACKWARD, "
                  f"registry {registry.url}")
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    set_compatibility(registry, subject)
    producer = Producer({"bootstrap.servers": bootstrap_servers, "enable.idempotence": True})
    try:
        ids = {}
        for number, (version, promo) in enumerate(((v1, None), (v2, PROMO_CODES)), start=1):
            writer = Serializer(registry, subject, version, topic=topic)
            ids[writer.schema_id] = version.version
            console.print(f"\n[bold]{number}. Register {version.label}[/] ({version.path.name}, "
                          f"{len(version.parsed['fields'])} fields) -> schema id [green]{writer.schema_id}[/]; "
                          f"produce {per_version} orders written with it")
            for n in range(per_version):
                model = order(f"demo-{version.version}-{n}", items=2, promo_code=promo[n % len(promo)] if promo else None)
                record = model.to_avro()
                if version is v1:
                    del record["promoCode"]  # v1 has no such field
                producer.produce(topic, key=model.orderId, value=writer.encode(record))
            producer.flush(30)
        console.print("\n[bold]3. One consumer, one v2 reader, reads the whole partition in order[/]")
        rows = _read_back(registry, bootstrap_servers, topic, 2 * per_version, ids)
        console.print(_table(rows))
        console.print("v1 records get promoCode [italic]None[/] from the v2 default (schema resolution); "
                      "v2 records are read without resolution: writer schema == reader schema.")
        _refuse_breaking(registry, subject, console)
    finally:
        if not keep:
            admin.delete_topics([topic])[topic].result(30)
            registry.call(f"deleting {subject}", registry.client.delete_subject, subject)
            registry.call(f"purging {subject}", registry.client.delete_subject, subject, True)
            console.print(f"\n[dim]Removed topic {topic} and subject {subject} (--keep leaves them).[/]")
    return rows


def read_topic(bootstrap_servers: str, topic: str, count: int, timeout: float = 60.0) -> list:
    """The first ``count`` messages of ``topic`` (confluent-kafka Messages), in partition order."""
    consumer = Consumer({"bootstrap.servers": bootstrap_servers, "group.id": f"orderflow-reader-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    messages: list = []
    deadline = time.monotonic() + timeout
    try:
        consumer.subscribe([topic])
        while len(messages) < count and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                messages.append(message)
    finally:
        consumer.close()
    if len(messages) < count:
        raise RuntimeError(f"read {len(messages)} of {count} records from {topic} in {timeout:.0f} s")
    return messages


def _read_back(registry: SchemaRegistry, bootstrap_servers: str, topic: str, count: int,
               versions: dict[int, int]) -> list[ReadBack]:
    deserializer = registry.deserializer("OrderPlaced")
    rows = []
    for message in read_topic(bootstrap_servers, topic, count):
        data, partition, offset = message.value(), message.partition(), message.offset()
        schema_id = schema_id_of(data, topic, partition, offset)
        record = deserializer.decode(data, topic, partition, offset)
        rows.append(ReadBack(offset, schema_id, versions.get(schema_id, 0), OrderPlaced.from_avro(record),
                             deserializer.needs_resolution(schema_id)))
    return rows


def _table(rows: list[ReadBack]) -> Table:
    table = Table(title="Read back with the v2 reader")
    for column in ("offset", "schema id", "writer version", "orderId", "promoCode", "schema resolution"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row.offset), str(row.schema_id), f"v{row.version}", row.order.orderId,
                      repr(row.order.promoCode), "yes (v1 -> v2)" if row.resolved else "skipped")
    return table


def _refuse_breaking(registry: SchemaRegistry, subject: str, console: Console) -> None:
    v3 = schemas.load(BREAKING)
    console.print(f"\n[bold]4. Try {v3.path.name}[/]: adds [cyan]channel[/] (string, no default), "
                  "so a v3 reader could not read the v1 and v2 records above")
    verdict = check(registry, subject, v3)
    console.print(f"compatibility test: [{'green' if verdict.compatible else 'red'}]"
                  f"{'compatible' if verdict.compatible else 'incompatible'}[/]")
    for message in verdict.messages:
        console.print(f"  - {escape(message)}")
    try:
        schema_id = registry.register(subject, v3)
    except RegistryError as exc:
        console.print(Panel(escape(str(exc)), title="the registry refused the registration", border_style="red"))
    else:
        raise RuntimeError(f"the registry accepted the breaking {v3.path.name} as id {schema_id}; "
                           f"is compatibility BACKWARD on {subject}?")
