"""A worker SIGKILLed in mid-stream loses nothing and repeats nothing.

5,000 orders go in; the worker is killed once part of them have outcomes,
then restarted on the same data dir. Afterwards, read with read_committed:
one outcome per order, and tables that agree with the outcomes exactly.
"""
from __future__ import annotations

import time
import uuid

from support.saga import SagaLoad
from support.workers import WorkerProcess


def test_sigkill_in_mid_stream_loses_and_repeats_nothing(kafka_stack, registered, tmp_path, capsys):
    load = SagaLoad(f"crash-{uuid.uuid4().hex[:8]}-", orders=5000)
    worker = WorkerProcess(tmp_path / "data").start().wait_ready()
    try:
        load.seed_state(kafka_stack)
        load.publish_orders(kafka_stack)
        # Kill at the first outcomes seen, with no settling: reading the topic's history from
        # the start takes a while, and the worker goes on deciding orders meanwhile.
        decided_at_kill = len(load.outcomes(kafka_stack, expected=load.orders // 20, timeout=180, settle=0))
        worker.kill()
        assert 0 < decided_at_kill < load.orders, "the kill must land in mid-stream"

        restarted_at = time.monotonic()
        worker.start().wait_ready()
        grouped = load.outcomes(kafka_stack, expected=load.orders)
        recovered_in = time.monotonic() - restarted_at
        counts = load.check(grouped, worker.url)
        assert counts["CONFIRMED"] > 0 and sum(counts.values()) > counts["CONFIRMED"]
        with capsys.disabled():
            print(f"\n  crash test: {decided_at_kill} of {load.orders} orders decided at the kill, "
                  f"{load.orders - decided_at_kill} in flight; all decided {recovered_in:.1f} s after "
                  f"restart; {dict(counts)}")
    finally:
        worker.stop()
