"""Queries on a cluster of two workers: whichever worker is asked answers for all
of them, and the analytics agree with the outcomes actually emitted on
``order-outcomes`` (read ``read_committed``).
"""
from __future__ import annotations

import asyncio
import random
import re
import urllib.error
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from click.testing import CliRunner
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from pipeline.cli import query
from pipeline.serde import SchemaRegistry
from support.events import by_order, deposit, order, outcomes_for, publish, stock
from support.metrics import get_json, group_caught_up, wait_until
from support.workers import WorkerProcess

SKUS, USERS, ORDERS = 12, 4, 40
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def minute_of(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(minutes=1)


def all_outcomes(settings) -> list[dict]:
    """Every outcome on ``order-outcomes`` up to the end, as a read_committed consumer sees it."""
    decode = SchemaRegistry(settings.registry_url).deserializer("OrderOutcome").decode
    consumer = Consumer({"bootstrap.servers": settings.bootstrap_servers, "group.id": "analytics-test",
                         "isolation.level": "read_committed", "enable.partition.eof": True,
                         "enable.auto.commit": False})
    try:
        partitions = consumer.list_topics("order-outcomes", timeout=30).topics["order-outcomes"].partitions
        consumer.assign([TopicPartition("order-outcomes", p, OFFSET_BEGINNING) for p in partitions])
        pending, found = set(partitions), []
        while pending:
            message = consumer.poll(30)
            assert message is not None, f"order-outcomes partitions {pending} not read to the end"
            if message.error():
                assert message.error().code() == KafkaError._PARTITION_EOF, message.error()
                pending.discard(message.partition())
            else:
                found.append(decode(message.value(), message.topic(), message.partition(), message.offset()))
        return found
    finally:
        consumer.close()


def status(url: str) -> int:
    try:
        get_json(url)
        return 200
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture(scope="module")
def cluster(kafka_stack, tmp_path_factory):
    """Two workers of one group, each holding some partitions of every table."""
    base = tmp_path_factory.mktemp("analytics")
    workers = [WorkerProcess(base / "a"), WorkerProcess(base / "b")]
    try:
        for worker in workers:
            worker.start().wait_ready()
        urls = {worker.url for worker in workers}

        def shared() -> bool:
            routes = [get_json(f"{worker.url}/router/") for worker in workers]
            return all(set(route) == urls and all(any(t.values()) for t in route.values()) for route in routes)

        wait_until(shared, "both workers hold table partitions")
        yield workers
    finally:
        for worker in workers:
            worker.stop()


@pytest.fixture(scope="module")
def run(kafka_stack, cluster):
    """Seeds and orders of every kind, all decided, the group caught up."""
    prefix = f"analytics-{uuid.uuid4().hex[:8]}-"
    rng = random.Random(11)
    skus = [f"{prefix}s{n:02d}" for n in range(SKUS)]
    users = [f"{prefix}u{n}" for n in range(USERS)]
    stocked = {sku: 3 + n for n, sku in enumerate(skus)}
    orders = [
        order(f"{prefix}o{n:02d}", rng.choice(users),
              [(rng.choice(skus), rng.randint(1, 3), f"{rng.randint(100, 3000) / 100:.2f}")])
        for n in range(ORDERS)
    ]
    orders.append(order(f"{prefix}invalid", users[0], [(skus[0], 1, "1.00")], total="2.00"))
    orders.append(order(f"{prefix}broke", f"{prefix}broke", [(skus[-1], 1, "1.00")]))
    asyncio.run(publish(kafka_stack, "stock", [stock(sku, qty) for sku, qty in stocked.items()]))
    asyncio.run(publish(kafka_stack, "deposits", [deposit(user, "150.00") for user in users]))
    asyncio.run(publish(kafka_stack, "deposits", [deposit(f"{prefix}broke", "0.50")]))
    seeded = [f"/inventory/{sku}" for sku in skus] + [f"/balances/{user}" for user in users]
    wait_until(lambda: all(status(f"{cluster[0].url}{path}") == 200 for path in seeded), "the seeds applied")
    asyncio.run(publish(kafka_stack, "orders", orders))
    mine = by_order(asyncio.run(outcomes_for(kafka_stack, prefix, expected=len(orders))))
    assert len(mine) == len(orders)
    wait_until(lambda: group_caught_up(kafka_stack.bootstrap_servers), "the group caught up")
    return {"prefix": prefix, "orders": {o.orderId: o for o in orders}, "stocked": stocked,
            "mine": {oid: found[0] for oid, found in mine.items()}, "outcomes": all_outcomes(kafka_stack)}


def sold_by_sku(run) -> Counter:
    sold: Counter[str] = Counter()
    for oid, outcome in run["mine"].items():
        if outcome["status"] == "CONFIRMED":
            for item in run["orders"][oid].items:
                sold[item.sku] += item.quantity
    return sold


def test_any_worker_answers_with_the_owner_state(cluster, run):
    sold = sold_by_sku(run)
    owners = set()
    for sku, stocked in run["stocked"].items():
        owners.add(get_json(f"{cluster[0].url}/router/inventory/{sku}/"))
        answers = [get_json(f"{worker.url}/inventory/{sku}") for worker in cluster]
        assert answers[0] == answers[1]
        assert answers[0] == {"sku": sku, "available": stocked - sold[sku], "reserved": 0, "sold": sold[sku]}
    assert owners == {worker.url for worker in cluster}, "every worker must own some of the skus"
    for oid, outcome in run["mine"].items():
        answers = [get_json(f"{worker.url}/orders/{oid}") for worker in cluster]
        assert answers[0] == answers[1] == {"orderId": oid, "status": outcome["status"], "reason": outcome["reason"]}


def first_minute(run) -> int:
    """The window of the first of this run's outcomes: from there on, every outcome on the topic
    was decided by this code (a stack reused from an older version has outcomes without analytics)."""
    return min(minute_of(outcome["occurredAt"]) for outcome in run["mine"].values())


def test_revenue_windows_agree_with_the_outcomes(cluster, run):
    by_minute: dict[int, list[dict]] = {}
    for outcome in run["outcomes"]:
        by_minute.setdefault(minute_of(outcome["occurredAt"]), []).append(outcome)
    mine = {minute_of(outcome["occurredAt"]) for outcome in run["mine"].values()}
    for worker in cluster:
        answer = get_json(f"{worker.url}/analytics/revenue?last=15m")
        assert answer["complete"] and answer["windowSeconds"] == 60
        minutes = [minute_of(datetime.fromisoformat(w["start"])) for w in answer["windows"]]
        assert mine <= set(minutes)
        for window, minute in zip(answer["windows"], minutes):
            if minute < first_minute(run):
                continue
            decided = by_minute.get(minute, [])
            confirmed = [o for o in decided if o["status"] == "CONFIRMED"]
            assert window["orders"] == len(decided), window
            assert window["confirmed"] == len(confirmed), window
            assert window["rejected"] == len(decided) - len(confirmed), window
            assert Decimal(window["revenue"]) == sum((o["total"] for o in confirmed), Decimal("0.00")), window
        assert answer["total"]["orders"] == sum(w["orders"] for w in answer["windows"])


def test_rejection_rates_agree_with_the_outcomes(cluster, run):
    for worker in cluster:
        last = minute_of(datetime.now(timezone.utc)) - first_minute(run) + 1
        answer = get_json(f"{worker.url}/analytics/rejections?last={last}m")
        since = minute_of(datetime.fromisoformat(answer["since"]))
        decided = [o for o in run["outcomes"] if minute_of(o["occurredAt"]) >= since]
        reasons = Counter(o["reason"] for o in decided if o["status"] == "REJECTED")
        assert answer["complete"]
        assert answer["orders"] == len(decided) and answer["rejected"] == sum(reasons.values())
        assert {r["reason"]: r["count"] for r in answer["reasons"]} == {
            reason: reasons[reason] for reason in ("OUT_OF_STOCK", "INSUFFICIENT_FUNDS", "INVALID_ORDER")}
        assert answer["rate"] == pytest.approx(sum(reasons.values()) / len(decided))
    assert {o["reason"] for o in run["mine"].values()} >= {None, "INVALID_ORDER", "INSUFFICIENT_FUNDS"}


def test_top_skus_agree_with_the_outcomes(cluster, run):
    sold = sold_by_sku(run)
    for worker in cluster:
        answer = get_json(f"{worker.url}/analytics/top-skus?limit=1000")
        assert answer["complete"]
        units = [row["sold"] for row in answer["skus"]]
        assert units == sorted(units, reverse=True)
        listed = {row["sku"]: row["sold"] for row in answer["skus"] if row["sku"].startswith(run["prefix"])}
        assert listed == {sku: n for sku, n in sold.items() if n}
        assert get_json(f"{worker.url}/analytics/top-skus?limit=3")["skus"] == answer["skus"][:3]


def test_query_cli_prints_what_the_workers_answer(cluster, run):
    runner = CliRunner(env={"COLUMNS": "200"})
    url = cluster[1].url
    sku = max(run["stocked"], key=lambda s: sold_by_sku(run)[s])
    oid, outcome = next(iter(run["mine"].items()))

    revenue = runner.invoke(query.command, ["revenue", "--last", "15m", "--url", url])
    total = get_json(f"{url}/analytics/revenue?last=15m")["total"]
    assert revenue.exit_code == 0, revenue.output
    assert f"total: {total['orders']} orders, {total['confirmed']} confirmed, revenue {total['revenue']}" \
        in revenue.output
    top = runner.invoke(query.command, ["top-skus", "--limit", "1000", "--url", url])
    assert top.exit_code == 0 and sku in top.output
    inventory = runner.invoke(query.command, ["inventory", sku, "--url", url])
    assert inventory.exit_code == 0 and re.search(rf"sold\s+│ {sold_by_sku(run)[sku]} ", inventory.output)
    status = runner.invoke(query.command, ["order", oid, "--url", url])
    assert status.exit_code == 0 and outcome["status"] in status.output
    rejections = runner.invoke(query.command, ["rejections", "--last", "15m", "--url", url])
    assert rejections.exit_code == 0 and "INVALID_ORDER" in rejections.output
    unknown = runner.invoke(query.command, ["balance", f"{run['prefix']}nobody", "--url", url])
    assert unknown.exit_code == 1 and "404" in unknown.output
