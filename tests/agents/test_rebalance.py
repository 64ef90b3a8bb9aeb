"""Exactly one outcome per order while workers join, leave and die.

Orders flow in steadily while the group changes under them; afterwards,
read with read_committed: one outcome per order, none lost, and inventory
and balances equal to what the outcomes imply.
"""
from __future__ import annotations

import threading
import time
import uuid

import pytest

from support.saga import SagaLoad
from support.workers import WorkerProcess, wait_for_stable_group


class Feeder(threading.Thread):
    """Publishes a load's orders in chunks, so that they keep arriving during the test."""

    def __init__(self, load: SagaLoad, settings, chunk: int = 100, pause: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.load, self.settings, self.chunk, self.pause = load, settings, chunk, pause
        self.sent = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while self.sent < self.load.orders:
                stop = min(self.sent + self.chunk, self.load.orders)
                self.load.publish_orders(self.settings, self.sent, stop)
                self.sent = stop
                time.sleep(self.pause)
        except BaseException as exc:  # surfaced by wait_for
            self.error = exc

    def wait_for(self, fraction: float, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while self.sent < fraction * self.load.orders:
            assert self.error is None, self.error
            assert time.monotonic() < deadline, "the feeder stalled"
            time.sleep(0.2)


def leave(worker: WorkerProcess, how: str) -> None:
    worker.stop() if how == "SIGTERM" else worker.kill()


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_a_worker_joins_then_the_first_leaves(kafka_stack, tmp_path, how, capsys):
    load = SagaLoad(f"rebalance-{how.lower()}-{uuid.uuid4().hex[:6]}-", orders=3000)
    first = WorkerProcess(tmp_path / "w1").start().wait_ready()
    second = WorkerProcess(tmp_path / "w2")
    try:
        load.seed_state(kafka_stack)
        feeder = Feeder(load, kafka_stack)
        feeder.start()
        feeder.wait_for(1 / 3)
        second.start().wait_ready()
        feeder.wait_for(2 / 3)
        leave(first, how)
        feeder.wait_for(1)
        grouped = load.outcomes(kafka_stack, expected=load.orders)
        wait_for_stable_group(kafka_stack, members=1)
        counts = load.check(grouped, second.url)
        with capsys.disabled():
            print(f"\n  join, then leave by {how}: {dict(counts)}")
    finally:
        first.stop()
        second.stop()


def test_three_workers_one_killed_and_restarted_twice(kafka_stack, tmp_path, capsys):
    load = SagaLoad(f"rebalance-three-{uuid.uuid4().hex[:6]}-", orders=3000)
    workers = [WorkerProcess(tmp_path / f"w{i}").start() for i in range(3)]
    try:
        for worker in workers:
            worker.wait_ready()
        load.seed_state(kafka_stack)
        feeder = Feeder(load, kafka_stack)
        feeder.start()
        victim = workers[2]
        for fraction in (0.25, 0.6):
            feeder.wait_for(fraction)
            victim.kill()
            time.sleep(5)
            victim.start().wait_ready(timeout=180)
        feeder.wait_for(1)
        grouped = load.outcomes(kafka_stack, expected=load.orders)
        wait_for_stable_group(kafka_stack, members=len(workers))
        counts = load.check(grouped, workers[0].url)
        with capsys.disabled():
            print(f"\n  three workers, one killed twice: {dict(counts)}")
    finally:
        for worker in workers:
            worker.stop()
