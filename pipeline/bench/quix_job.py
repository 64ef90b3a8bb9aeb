"""The inventory part of the saga written with Quix Streams, for the throughput benchmark.

Run by the Python of the benchmark's own Quix venv (:mod:`pipeline.bench.quix_env`),
which has Quix Streams and its pinned confluent-kafka but not this project, so
it imports nothing from ``pipeline``::

    <quix venv>/bin/python quix_job.py --bootstrap ... --registry ... --output ... --group ... --state-dir ...

The job, with Quix's own Avro serdes against the registry (Confluent wire format):

1. ``orders``: an invalid order (no items, a quantity <= 0, a total that is not
   the sum of its lines) is rejected at once (``INVALID_ORDER``); a valid one is
   split into one line per sku, re-keyed by sku (``group_by``: a repartition topic);
2. the lines and ``stock`` (keyed by sku), concatenated: per-sku stock lives in
   Quix's RocksDB state; stock events add to it, a line reserves from it if it can;
3. the replies, re-keyed by orderId: an order's state counts them, and when the
   last one arrives it emits the order's one ``OrderOutcome`` (CONFIRMED, or
   REJECTED ``OUT_OF_STOCK`` if any sku could not be reserved).

There is no payment step and no release of the units of rejected orders: this is
the inventory half of orderflow's saga, which does both.
"""
from __future__ import annotations

import argparse
import json
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from quixstreams import Application, State
from quixstreams.models.serializers.avro import AvroDeserializer, AvroSerializer
from quixstreams.models.serializers.schema_registry import SchemaRegistryClientConfig

CENT = Decimal("0.01")


def is_valid(order: dict) -> bool:
    items = order["items"]
    if not items or any(item["quantity"] <= 0 or item["unitPrice"] < 0 for item in items):
        return False
    expected = sum((item["quantity"] * item["unitPrice"] for item in items), Decimal(0))
    return expected.quantize(CENT) == order["total"].quantize(CENT)


def outcome(order: dict, status: str, reason: str | None) -> dict:
    """An ``OrderOutcome`` record from an order's header (as carried between the steps)."""
    return {"eventId": str(uuid.uuid4()), "orderId": order["orderId"], "userId": order["userId"],
            "status": status, "reason": reason, "total": Decimal(order["total"]),
            "causationId": order["eventId"], "correlationId": order["correlationId"],
            "occurredAt": datetime.now(timezone.utc)}


def lines(order: dict) -> list[dict]:
    """One JSON-friendly line per sku of a valid order, each carrying the order's header."""
    units: dict[str, int] = {}
    for item in order["items"]:
        units[item["sku"]] = units.get(item["sku"], 0) + item["quantity"]
    header = {"orderId": order["orderId"], "userId": order["userId"], "eventId": order["eventId"],
              "correlationId": order["correlationId"], "total": str(order["total"]), "lines": len(units)}
    return [{**header, "sku": sku, "quantity": quantity} for sku, quantity in units.items()]


def reserve(event: dict, state: State) -> dict | None:
    """Stock in (returns None) or a line's reservation (returns the line with ``granted``)."""
    available = state.get("available", 0)
    if "orderId" not in event:  # a StockReplenished
        state.set("available", available + event["quantity"])
        return None
    granted = available >= event["quantity"]
    if granted:
        state.set("available", available - event["quantity"])
    return {**event, "granted": granted}


def collect(reply: dict, state: State) -> dict | None:
    """Count an order's replies; its outcome once all are in."""
    seen = state.get("seen", 0) + 1
    refused = state.get("refused", False) or not reply["granted"]
    if seen < reply["lines"]:
        state.set("seen", seen)
        state.set("refused", refused)
        return None
    state.delete("seen")
    state.delete("refused")
    return outcome(reply, "REJECTED", "OUT_OF_STOCK") if refused else outcome(reply, "CONFIRMED", None)


def build(args: argparse.Namespace) -> Application:
    registry = SchemaRegistryClientConfig(url=args.registry)
    app = Application(
        broker_address=args.bootstrap, consumer_group=args.group, auto_offset_reset="earliest",
        commit_interval=args.commit_interval, processing_guarantee=args.guarantee, state_dir=args.state_dir,
        # murmur2_random: Java's partitioner, the one the inputs were written with, so that
        # repartitioned lines land in the partition of their sku's stock events.
        producer_extra_config={"acks": "all", "linger.ms": 5, "partitioner": "murmur2_random"},
        loglevel="WARNING",
    )
    avro_in = AvroDeserializer(schema_registry_client_config=registry)
    orders = app.dataframe(app.topic("orders", key_deserializer="str", value_deserializer=avro_in))
    stock = app.dataframe(app.topic("stock", key_deserializer="str", value_deserializer=avro_in))
    schema = json.loads((Path(args.schemas) / "OrderOutcome.avsc").read_text())
    output = app.topic(args.output, key_serializer="str",
                       value_serializer=AvroSerializer(schema, schema_registry_client_config=registry))

    orders[orders.apply(lambda order: not is_valid(order))].apply(
        lambda order: outcome(order, "REJECTED", "INVALID_ORDER")).to_topic(output)
    # Plain string keys (not Quix's default JSON) so that a line's key is byte for byte
    # the key of its sku's stock events: same partition, same state.
    by_sku = orders[orders.apply(is_valid)].apply(lines, expand=True).group_by(
        "sku", key_serializer="str", key_deserializer="str")
    replies = by_sku.concat(stock.apply(lambda s: {"sku": s["sku"], "quantity": s["quantity"]}))
    replies = replies.apply(reserve, stateful=True).filter(lambda reply: reply is not None)
    by_order = replies.group_by("orderId", key_serializer="str", key_deserializer="str")
    outcomes = by_order.apply(collect, stateful=True).filter(lambda o: o is not None)
    outcomes.to_topic(output)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--registry", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--schemas", required=True, help="Directory of the .avsc files.")
    parser.add_argument("--commit-interval", type=float, default=0.1)
    parser.add_argument("--guarantee", choices=["exactly-once", "at-least-once"], default="exactly-once")
    build(parser.parse_args()).run()


if __name__ == "__main__":
    main()
