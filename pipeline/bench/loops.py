"""The reference loops of the throughput benchmark: consume, decode, produce one outcome per order.

No state, no validation: what any Python consumer of ``orders`` pays at the
least, with the project's serde and aiokafka. Two variants:

* plain: offsets auto-committed every ``--commit-interval`` s (at-least-once);
* ``--transactional``: each batch of outputs and the offsets of its inputs are
  committed in one Kafka transaction (``send_offsets_to_transaction``), a new
  transaction every ``--commit-interval`` s: exactly-once, like the saga.

Runs until SIGTERM::

    python -m pipeline.bench.loops --input orders --output out --group g [--transactional]
"""
from __future__ import annotations

import asyncio
import signal
import time
import uuid

import click
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from pipeline.models.examples import now
from pipeline.serde import SchemaRegistry
from pipeline.settings import Settings

LINGER_MS = 5


class Loop:
    """Turns each consumed order into an ``OrderOutcome`` (CONFIRMED) on the output topic."""

    def __init__(self, settings: Settings, input_topic: str, output: str, group: str,
                 transactional: bool, commit_interval: float) -> None:
        registry = SchemaRegistry(settings.registry_url)
        self.decoder = registry.deserializer("OrderPlaced")
        self.encoder = registry.serializer(output, "OrderOutcome")
        self.output = output
        self.group = group
        self.transactional = transactional
        self.commit_interval = commit_interval
        self.consumer = AIOKafkaConsumer(
            input_topic, bootstrap_servers=settings.bootstrap_servers, group_id=group,
            auto_offset_reset="earliest", enable_auto_commit=not transactional,
            auto_commit_interval_ms=int(commit_interval * 1000), isolation_level="read_committed")
        self.producer = AIOKafkaProducer(
            bootstrap_servers=settings.bootstrap_servers, acks="all", linger_ms=LINGER_MS,
            transactional_id=f"{group}-producer" if transactional else None)
        self.stopping = asyncio.Event()

    async def send_outcomes(self, batch: dict) -> dict:
        """Send one outcome per message of ``batch``; the offsets to commit after them."""
        offsets = {}
        for tp, messages in batch.items():
            for message in messages:
                order = self.decoder.decode(message.value, tp.topic, tp.partition, message.offset)
                outcome = {"eventId": str(uuid.uuid4()), "orderId": order["orderId"], "userId": order["userId"],
                           "status": "CONFIRMED", "reason": None, "total": order["total"],
                           "causationId": order["eventId"], "correlationId": order["correlationId"],
                           "occurredAt": now()}
                await self.producer.send(self.output, self.encoder.encode(outcome), key=message.key)
            offsets[tp] = messages[-1].offset + 1
        return offsets

    async def run(self) -> None:
        self.encoder.header  # noqa: B018  (looks the schema id up before the first record)
        await self.producer.start()
        await self.consumer.start()
        try:
            while not self.stopping.is_set():
                batch = await self.consumer.getmany(timeout_ms=100)
                if not batch:
                    continue
                if self.transactional:
                    await self.transaction(batch)
                else:
                    await self.send_outcomes(batch)
        finally:
            await self.consumer.stop()
            await self.producer.stop()

    async def transaction(self, batch: dict) -> None:
        """Outputs of ``batch`` and of what arrives within the commit interval, then commit."""
        deadline = time.monotonic() + self.commit_interval
        async with self.producer.transaction():
            offsets = await self.send_outcomes(batch)
            while (left := deadline - time.monotonic()) > 0 and not self.stopping.is_set():
                more = await self.consumer.getmany(timeout_ms=max(1, int(left * 1000)))
                offsets.update(await self.send_outcomes(more))
            await self.producer.send_offsets_to_transaction(offsets, self.group)


async def main(*args) -> None:
    loop = Loop(*args)  # aiokafka clients must be made inside the running event loop
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, loop.stopping.set)
    await loop.run()


@click.command()
@click.option("--input", "input_topic", default="orders", show_default=True)
@click.option("--output", required=True)
@click.option("--group", required=True)
@click.option("--transactional", is_flag=True)
@click.option("--commit-interval", default=0.1, show_default=True, help="Seconds between commits.")
def command(input_topic: str, output: str, group: str, transactional: bool, commit_interval: float) -> None:
    asyncio.run(main(Settings.from_env(), input_topic, output, group, transactional, commit_interval))


if __name__ == "__main__":
    command()
