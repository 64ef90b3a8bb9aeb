"""``orderflow lag`` against the broker: the lag rises while the only worker is
stopped and orders arrive, and is 0 everywhere once it is back and caught up
(transaction markers left after the committed offsets do not count).
"""
from __future__ import annotations

import asyncio
import re
import uuid

from click.testing import CliRunner

from pipeline.cli import lag
from support.events import deposit, order, outcomes_for, publish, stock
from support.metrics import caught_up, wait_until
from support.workers import WorkerProcess

ORDERS = 12


def lag_rows(output: str) -> dict[tuple[str, int], tuple[str, int, int]]:
    """(topic, partition) -> (committed, end, lag) from the printed table."""
    rows = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if len(cells) == 6 and cells[2].isdigit():
            rows[(cells[1], int(cells[2]))] = (cells[3], int(cells[4]), int(cells[5]))
    return rows


def run_lag(*args: str) -> str:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(lag.command, ["--group", "orderflow", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_lag_rises_while_the_only_worker_is_stopped_and_falls_to_zero(kafka_stack, tmp_path):
    prefix = f"lag-cli-{uuid.uuid4().hex[:8]}-"
    sku, user = f"{prefix}sku", f"{prefix}user"
    worker = WorkerProcess(tmp_path / "worker")
    try:
        worker.start().wait_ready()
        asyncio.run(publish(kafka_stack, "stock", [stock(sku, ORDERS)]))
        asyncio.run(publish(kafka_stack, "deposits", [deposit(user, "100.00")]))
        # Zero on the broker means processed: a routing agent commits its input offset and its
        # output in one transaction, so a record in flight is always lag somewhere.
        caught = wait_until(lambda: (lambda rows: rows if rows and not any(r[2] for r in rows.values())
                                     else None)(lag_rows(run_lag("--all"))), "the group caught up")
        assert any(end > int(committed) for committed, end, _ in caught.values() if committed != "-"), \
            "transactional topics end past the committed offsets (markers), and still show no lag"
        assert worker.stop() == 0

        asyncio.run(publish(kafka_stack, "orders", [
            order(f"{prefix}o{n:02d}", user, [(sku, 1, "1.00")]) for n in range(ORDERS)]))
        stopped = run_lag()
        behind = {key: row for key, row in lag_rows(stopped).items() if row[2]}
        assert {topic for topic, _ in behind} == {"orders"}
        assert sum(row[2] for row in behind.values()) == ORDERS
        assert re.search(rf"total lag {ORDERS}\b", stopped)

        worker.start().wait_ready()
        outcomes = asyncio.run(outcomes_for(kafka_stack, prefix, expected=ORDERS))
        assert len({o["orderId"] for o in outcomes}) == ORDERS
        wait_until(lambda: caught_up(worker.url), "the lag metric back to 0")
        assert not any(lag for _, _, lag in lag_rows(run_lag("--all")).values())
    finally:
        worker.stop()
