"""A worker SIGKILLed in mid-stream loses nothing and repeats nothing.

5,000 orders go in; the worker is killed once part of them have outcomes,
then restarted on the same data dir. Afterwards, read with read_committed:
one outcome per order, and tables that agree with the outcomes exactly.
"""
from __future__ import annotations

import asyncio
import json
import random
import time
import urllib.request
import uuid
from collections import Counter
from decimal import Decimal

from support.events import by_order, deposit, order, outcomes_for, publish, stock
from support.workers import WorkerProcess

ORDERS, SKUS, USERS = 5000, 20, 50
STOCK_PER_SKU, DEPOSIT = 800, "3000.00"


def http_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def make_orders(prefix: str, rng: random.Random):
    return [
        order(f"{prefix}o{n:05d}", f"{prefix}u{rng.randrange(USERS):03d}", [
            (f"{prefix}s{rng.randrange(SKUS):03d}", rng.randint(1, 3), f"{rng.randint(100, 2000) / 100:.2f}")
            for _ in range(rng.randint(1, 3))
        ])
        for n in range(ORDERS)
    ]


def test_sigkill_in_mid_stream_loses_and_repeats_nothing(kafka_stack, registered, tmp_path, capsys):
    prefix = f"crash-{uuid.uuid4().hex[:8]}-"
    orders = make_orders(prefix, random.Random(7))
    worker = WorkerProcess(tmp_path / "data").start().wait_ready()
    try:
        asyncio.run(publish(kafka_stack, "stock", [stock(f"{prefix}s{i:03d}", STOCK_PER_SKU) for i in range(SKUS)]))
        asyncio.run(publish(kafka_stack, "deposits", [deposit(f"{prefix}u{i:03d}", DEPOSIT) for i in range(USERS)]))
        asyncio.run(publish(kafka_stack, "orders", orders))
        before_kill = asyncio.run(outcomes_for(kafka_stack, prefix, expected=ORDERS // 5, timeout=180))
        worker.kill()
        decided_at_kill = len(by_order(before_kill))
        assert 0 < decided_at_kill < ORDERS, "the kill must land in mid-stream"

        restarted_at = time.monotonic()
        worker.start().wait_ready(timeout=180)
        outcomes = asyncio.run(outcomes_for(kafka_stack, prefix, expected=ORDERS, timeout=300))
        recovered_in = time.monotonic() - restarted_at
        grouped = by_order(outcomes)

        assert len(grouped) == ORDERS, f"lost {ORDERS - len(grouped)} orders"
        repeated = {oid: len(found) for oid, found in grouped.items() if len(found) > 1}
        assert not repeated, f"{len(repeated)} orders have more than one outcome"

        statuses = Counter(found[0]["status"] for found in grouped.values())
        reasons = Counter(found[0]["reason"] for found in grouped.values() if found[0]["reason"])
        assert statuses["CONFIRMED"] > 0 and statuses["REJECTED"] > 0

        sold: Counter[str] = Counter()
        spent: Counter[str] = Counter()
        placed = {o.orderId: o for o in orders}
        for oid, (outcome,) in grouped.items():
            if outcome["status"] == "CONFIRMED":
                for item in placed[oid].items:
                    sold[item.sku] += item.quantity
                spent[placed[oid].userId] += placed[oid].total
        for i in range(SKUS):
            sku = f"{prefix}s{i:03d}"
            row = http_json(f"{worker.url}/inventory/{sku}")
            assert row["reserved"] == 0, row
            assert row["sold"] == sold[sku], row
            assert row["available"] + row["reserved"] + row["sold"] == STOCK_PER_SKU, row
        for i in range(USERS):
            user = f"{prefix}u{i:03d}"
            balance = Decimal(http_json(f"{worker.url}/balances/{user}")["balance"])
            assert balance == Decimal(DEPOSIT) - spent[user], user
        with capsys.disabled():
            print(f"\n  crash test: {decided_at_kill} of {ORDERS} orders decided at the kill, "
                  f"{ORDERS - decided_at_kill} in flight; all decided {recovered_in:.1f} s after restart; "
                  f"{dict(statuses)} {dict(reasons)}")
    finally:
        worker.stop()
