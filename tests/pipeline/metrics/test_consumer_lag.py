"""The lag metric comes from the broker: a stalled worker's partitions fall
behind on the other worker's ``/metrics`` while the stalled one cannot report
anything, and everything returns to 0 once it is back.
"""
from __future__ import annotations

import asyncio
import os
import signal
import uuid

from support.events import deposit, order, outcomes_for, publish, stock
from support.metrics import caught_up, consumer_lag, get_json, group_caught_up, wait_until
from support.workers import WorkerProcess

ORDERS = 24


def orders_partitions(url: str) -> dict[str, set[int]]:
    """Which worker consumes which partition of ``orders``, as Faust's router tells it."""
    return {host: set(topics.get("orders", ())) for host, topics in get_json(f"{url}/router/topics").items()}


def test_stalled_worker_lag_shows_on_the_other_worker_and_returns_to_zero(kafka_stack, tmp_path):
    prefix = f"stall-{uuid.uuid4().hex[:8]}-"
    sku, user = f"{prefix}sku", f"{prefix}user"
    # The group must keep the stalled worker as a member (its partitions unassigned to the live
    # one) for as long as the test looks at it.
    env = {"ORDERFLOW_SESSION_TIMEOUT": "60"}
    live, stalled = (WorkerProcess(tmp_path / name, env=env) for name in ("live", "stalled"))
    try:
        live.start().wait_ready()
        stalled.start().wait_ready()
        owners = wait_until(lambda: (lambda o: o if len(o) == 2 and all(o.values()) else None)(
            orders_partitions(live.url)), "both workers consume orders")
        stalled_partitions = owners[stalled.url]
        asyncio.run(publish(kafka_stack, "stock", [stock(sku, ORDERS)]))
        asyncio.run(publish(kafka_stack, "deposits", [deposit(user, "1000.00")]))
        wait_until(lambda: group_caught_up(kafka_stack.bootstrap_servers), "the group caught up before the stall")

        os.killpg(stalled.process.pid, signal.SIGSTOP)
        try:
            asyncio.run(publish(kafka_stack, "orders", [
                order(f"{prefix}o{n:02d}", user, [(sku, 1, "1.00")]) for n in range(ORDERS)]))

            def behind_on_stalled_partitions() -> dict | None:
                lag = {key: v for key, v in consumer_lag(live.url).items() if key[0] == "orders"}
                behind = {p: v for (_, p), v in lag.items() if v}
                return behind if behind and set(behind) <= stalled_partitions else None

            behind = wait_until(behind_on_stalled_partitions, "lag of the stalled worker's partitions",
                                timeout=45)
            assert sum(behind.values()) < ORDERS  # the live worker's share is processed
        finally:
            os.killpg(stalled.process.pid, signal.SIGCONT)

        outcomes = asyncio.run(outcomes_for(kafka_stack, prefix, expected=ORDERS))
        assert len({o["orderId"] for o in outcomes}) == ORDERS
        for worker in (live, stalled):
            wait_until(lambda: caught_up(worker.url), f"lag back to 0 on {worker.url}")
    finally:
        for worker in (live, stalled):
            worker.stop()
