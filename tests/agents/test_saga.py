"""The saga's outcomes, end to end: events in on the contract's topics, a real
worker, outcomes and table state read back from Kafka and the HTTP API."""
from __future__ import annotations

import asyncio
import json
import time
import urllib.request
import uuid
from decimal import Decimal

import pytest
from aiokafka.partitioner import DefaultPartitioner

from pipeline.models import PaymentRequest
from pipeline.serde import SchemaRegistry, Serializer, bundle, schemas
from support.events import by_order, deposit, order, outcomes_for, publish, publish_raw, read_topic, stock


def get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def skus_sharing_a_partition(prefix: str, partitions: int) -> tuple[list[str], str]:
    """Three skus on one partition of the stock topics, and one on another."""
    every = list(range(partitions))
    buckets: dict[int, list[str]] = {}
    for i in range(1_000):
        name = f"{prefix}pair-{i}"
        bucket = buckets.setdefault(DefaultPartitioner()(name.encode(), every, every), [])
        bucket.append(name)
        if len(bucket) == 3 and len(buckets) > 1:
            lone = next(names[0] for names in buckets.values() if names is not bucket)
            return bucket, lone
    raise AssertionError("no three skus on one partition")


@pytest.fixture(scope="module")
def run(kafka_stack, registered, worker):
    """One scenario run: seed stock and funds, place orders, collect outcomes."""
    prefix = f"saga-{uuid.uuid4().hex[:8]}-"
    sku = lambda name: f"{prefix}{name}"  # noqa: E731
    user = lambda name: f"{prefix}{name}"  # noqa: E731
    oid = lambda name: f"{prefix}{name}"  # noqa: E731

    # Skus of one partition are reserved, released and sold by one command.
    (pair_a, pair_b, pair_c), lone = skus_sharing_a_partition(prefix, kafka_stack.partitions)
    dup = order(oid("duplicate"), user("rich"), [(sku("dup"), 1, "5.00")])
    v1_order = order(oid("v1"), user("rich"), [(sku("plenty"), 1, "1.00")])
    orders = [
        order(oid("confirmed"), user("rich"), [(sku("plenty"), 2, "10.00")]),
        order(oid("out-of-stock"), user("rich"), [(sku("scarce"), 5, "1.00")]),
        order(oid("no-funds"), user("poor"), [(sku("plenty"), 1, "50.00")]),
        order(oid("partial-stock"), user("rich"), [(sku("plenty"), 3, "1.00"), (sku("empty"), 1, "1.00")]),
        order(oid("zero-quantity"), user("rich"), [(sku("plenty"), 0, "1.00")]),
        order(oid("wrong-total"), user("rich"), [(sku("plenty"), 1, "1.00")], total="2.00"),
        order(oid("no-items"), user("rich"), [], total="0.00"),
        order(oid("v2"), user("rich"), [(sku("plenty"), 1, "1.00")], promo="WINTER"),
        dup, dup,
        order(oid("grouped"), user("rich"), [(pair_a, 2, "1.00"), (pair_b, 3, "1.00")]),
        order(oid("grouped-mixed"), user("rich"), [(pair_a, 1, "1.00"), (lone, 1, "1.00"), (pair_b, 1, "1.00")]),
        order(oid("grouped-short"), user("rich"), [(pair_a, 1, "1.00"), (pair_c, 5, "1.00")]),
        order(oid("grouped-no-funds"), user("poor"), [(pair_a, 1, "30.00"), (lone, 1, "30.00"), (pair_b, 1, "30.00")]),
    ]
    # Off their key's partition, as another client's partitioner puts them: routed, then processed.
    misplaced = [
        order(oid("duplicate"), user("rich"), [(sku("dup"), 1, "5.00")]),  # same orderId, new eventId
        order(oid("moved"), user("rich"), [(sku("moved"), 2, "1.00")]),
    ]

    async def scenario():
        await publish(kafka_stack, "stock", [stock(sku("plenty"), 100), stock(sku("scarce"), 1), stock(sku("dup"), 10),
                                             stock(pair_a, 10), stock(pair_b, 10), stock(pair_c, 1), stock(lone, 10)])
        await publish(kafka_stack, "stock", [stock(sku("moved"), 3)], misplaced=True)
        await publish(kafka_stack, "deposits", [deposit(user("rich"), "1000.00")])
        await publish(kafka_stack, "deposits", [deposit(user("poor"), "10.00")], misplaced=True)
        await asyncio.sleep(1.0)  # let the seeds be applied before the orders race them
        await publish(kafka_stack, "orders", orders)
        await publish(kafka_stack, "orders", misplaced, misplaced=True)
        v1 = Serializer(registered, "orders-value", schemas.versions("OrderPlaced")[0], topic="orders")
        await publish_raw(kafka_stack, "orders", v1_order.orderId.encode(), v1.encode(v1_order))
        await publish_raw(kafka_stack, "orders", f"{prefix}garbage".encode(), b"\x07not avro at all")
        await publish_raw(kafka_stack, "orders", f"{prefix}unknown".encode(), b"\x00\x7f\xff\xff\xf0" + b"\x02")
        distinct = len({o.orderId for o in orders + misplaced}) + 1
        return await outcomes_for(kafka_stack, prefix, expected=distinct)

    outcomes = asyncio.run(scenario())
    return {"prefix": prefix, "sku": sku, "user": user, "oid": oid, "outcomes": by_order(outcomes),
            "grouped": {"a": pair_a, "b": pair_b, "c": pair_c, "lone": lone},
            "orders": {o.orderId: o for o in orders}, "url": worker.url}


def outcome_of(run, name):
    found = run["outcomes"][run["oid"](name)]
    assert len(found) == 1, f"{name}: expected one outcome, got {found}"
    return found[0]


def test_every_order_gets_exactly_one_outcome(run):
    assert len(run["outcomes"]) == 15
    assert all(len(found) == 1 for found in run["outcomes"].values()), run["outcomes"]


def test_confirmed_order_moves_units_to_sold_and_charges_the_user(run):
    outcome = outcome_of(run, "confirmed")
    assert (outcome["status"], outcome["reason"], outcome["total"]) == ("CONFIRMED", None, Decimal("20.00"))
    placed = run["orders"][run["oid"]("confirmed")]
    assert outcome["causationId"] == placed.eventId
    assert outcome["eventId"] not in (placed.eventId, None)


@pytest.mark.parametrize("name, reason", [
    ("out-of-stock", "OUT_OF_STOCK"),
    ("partial-stock", "OUT_OF_STOCK"),
    ("grouped-short", "OUT_OF_STOCK"),
    ("grouped-no-funds", "INSUFFICIENT_FUNDS"),
    ("no-funds", "INSUFFICIENT_FUNDS"),
    ("zero-quantity", "INVALID_ORDER"),
    ("wrong-total", "INVALID_ORDER"),
    ("no-items", "INVALID_ORDER"),
])
def test_rejections_name_their_reason(run, name, reason):
    outcome = outcome_of(run, name)
    assert (outcome["status"], outcome["reason"]) == ("REJECTED", reason)


def test_v1_and_v2_orders_are_both_processed(run):
    assert outcome_of(run, "v1")["status"] == "CONFIRMED"
    assert outcome_of(run, "v2")["status"] == "CONFIRMED"


def test_duplicates_are_charged_and_reserved_once(run):
    assert outcome_of(run, "duplicate")["status"] == "CONFIRMED"
    status, body = get(f"{run['url']}/inventory/{run['sku']('dup')}")
    assert status == 200 and (body["available"], body["reserved"], body["sold"]) == (9, 0, 1)


def test_input_off_its_key_partition_is_routed_and_the_rest_is_not(run, kafka_stack):
    prefix = run["prefix"]
    routed = {
        twin: sorted(m.key.decode() for m in asyncio.run(read_topic(
            kafka_stack, twin, lambda m: m.key.decode().startswith(prefix), expected=expected)))
        for twin, expected in (("orderflow-orders", 2), ("orderflow-stock", 1), ("orderflow-deposits", 1))
    }
    assert routed == {
        "orderflow-orders": [run["oid"]("duplicate"), run["oid"]("moved")],
        "orderflow-stock": [run["sku"]("moved")],
        "orderflow-deposits": [run["user"]("poor")],
    }
    assert outcome_of(run, "moved")["status"] == "CONFIRMED"
    status, body = get(f"{run['url']}/inventory/{run['sku']('moved')}")
    assert status == 200 and (body["available"], body["reserved"], body["sold"]) == (1, 0, 2)


def test_inventory_reflects_confirmed_and_released_units(run):
    # plenty: 100 in; confirmed 2 + v1 1 + v2 1 sold; no-funds and partial-stock released theirs
    status, body = get(f"{run['url']}/inventory/{run['sku']('plenty')}")
    assert status == 200
    assert (body["available"], body["reserved"], body["sold"]) == (96, 0, 4)
    status, body = get(f"{run['url']}/inventory/{run['sku']('scarce')}")
    assert (body["available"], body["reserved"], body["sold"]) == (1, 0, 0)


@pytest.mark.parametrize("name, expected", [
    # 10 in; grouped 2 and grouped-mixed 1 sold; grouped-short and grouped-no-funds held none
    ("a", (7, 0, 3)),
    ("b", (6, 0, 4)),
    # grouped-short asked 5 of 1: its whole command was refused
    ("c", (1, 0, 0)),
    ("lone", (9, 0, 1)),
])
def test_skus_sharing_a_partition_move_together(run, name, expected):
    assert outcome_of(run, "grouped")["status"] == "CONFIRMED"
    assert outcome_of(run, "grouped-mixed")["status"] == "CONFIRMED"
    status, body = get(f"{run['url']}/inventory/{run['grouped'][name]}")
    assert status == 200 and (body["available"], body["reserved"], body["sold"]) == expected


def test_an_orders_skus_on_one_partition_share_one_command(run, kafka_stack):
    order_id, grouped = run["oid"]("grouped-mixed"), run["grouped"]
    commands = asyncio.run(read_topic(kafka_stack, "orderflow-stock-commands", lambda c: c["orderId"] == order_id,
                                      expected=4, timeout=60, record="StockCommand"))
    sent = sorted((c["action"], c["sku"], [line["sku"] for line in c["more"]]) for c in commands)
    assert sent == sorted([("RESERVE", grouped["a"], [grouped["b"]]), ("RESERVE", grouped["lone"], []),
                           ("COMMIT", grouped["a"], [grouped["b"]]), ("COMMIT", grouped["lone"], [])])


def test_balances_are_deposits_minus_confirmed_totals(run):
    status, body = get(f"{run['url']}/balances/{run['user']('rich')}")
    confirmed = Decimal("20.00") + 2 + 5 + 5 + 3 + 2  # confirmed, v1, v2, grouped, grouped-mixed, moved
    assert status == 200 and Decimal(body["balance"]) == Decimal("1000.00") - confirmed
    status, body = get(f"{run['url']}/balances/{run['user']('poor')}")
    assert Decimal(body["balance"]) == Decimal("10.00")


def test_order_status_and_unknown_keys_over_http(run):
    status, body = get(f"{run['url']}/orders/{run['oid']('no-funds')}")
    assert status == 200 and body == {"orderId": run["oid"]("no-funds"), "status": "REJECTED",
                                      "reason": "INSUFFICIENT_FUNDS"}
    assert get(f"{run['url']}/orders/{run['prefix']}nope")[0] == 404
    assert get(f"{run['url']}/inventory/{run['prefix']}nope")[0] == 404
    assert get(f"{run['url']}/balances/{run['prefix']}nope")[0] == 404


def test_undecodable_orders_are_dead_lettered_with_their_reason(run, kafka_stack):
    prefix = run["prefix"].encode()
    letters = asyncio.run(read_topic(kafka_stack, "orders.dlq", lambda m: (m.key or b"").startswith(prefix),
                                     expected=2, timeout=60))
    by_key = {m.key: dict(m.headers) for m in letters}
    assert len(letters) == 2
    garbage = by_key[prefix + b"garbage"]
    assert garbage["dlq.reason"] == b"not-wire-format"
    assert garbage["dlq.source.topic"] == b"orders"
    assert {"dlq.error", "dlq.source.partition", "dlq.source.offset"} <= set(garbage)
    assert by_key[prefix + b"unknown"]["dlq.reason"] == b"unknown-schema-id"
    assert [m.value for m in letters if m.key == prefix + b"garbage"] == [b"\x07not avro at all"]


def test_the_saga_sends_its_commands_and_replies_in_bundles(run, kafka_stack):
    order_id = run["oid"]("confirmed")
    replies = asyncio.run(read_topic(kafka_stack, "orderflow-order-events",
                                     lambda m: bundle.is_bundle(m.headers) and order_id.encode() in m.value,
                                     expected=2, timeout=60))
    assert len(replies) >= 2  # the stock reply and the payment reply, each in a bundle


def test_a_bad_event_in_a_bundle_is_dead_lettered_and_the_others_processed(run, kafka_stack):
    prefix = run["prefix"]
    request = PaymentRequest(eventId=str(uuid.uuid4()), orderId=f"{prefix}bundled", userId=f"{prefix}nobody",
                             amount=Decimal("1.00"), causationId=str(uuid.uuid4()),
                             occurredAt=int(time.time() * 1000))
    encoded = SchemaRegistry(kafka_stack.registry_url).serializer(
        "orderflow-payment-requests", "PaymentRequest").encode(request)
    garbage = b"\x07" + prefix.encode()
    key = request.userId.encode()
    asyncio.run(publish_raw(kafka_stack, "orderflow-payment-requests", key,
                            bundle.pack([(key, garbage), (key, encoded)]), [(bundle.HEADER, bundle.VERSION)]))

    replies = asyncio.run(read_topic(kafka_stack, "orderflow-order-events",
                                     lambda r: r["orderId"] == request.orderId,
                                     expected=1, timeout=60, record="OrderSagaEvent"))
    assert [r["type"] for r in replies] == ["PAYMENT_DECLINED"]
    letters = asyncio.run(read_topic(kafka_stack, "orderflow-internal.dlq", lambda m: m.value == garbage,
                                     expected=1, timeout=60))
    assert len(letters) == 1 and letters[0].key == key
    headers = dict(letters[0].headers)
    assert headers["dlq.reason"] == b"not-wire-format"
    assert headers["dlq.source.topic"] == b"orderflow-payment-requests"
