"""A worker restarted on its own data dir ends its table recovery once the changelogs are read."""
from __future__ import annotations

import uuid

from support.saga import SagaLoad
from support.workers import WorkerProcess

# Faust's recovery logs this when it gives up waiting for a changelog partition's last offset
# (a transaction marker, never delivered), after its queue has been empty for 2 x 5 s.
TIMED_OUT = "Aborted tx until highwater"


def test_restart_on_local_state_ends_recovery_without_waiting_and_carries_on(kafka_stack, registered, tmp_path):
    load = SagaLoad(f"restart-{uuid.uuid4().hex[:8]}-", orders=300)
    worker = WorkerProcess(tmp_path / "data").start().wait_ready()
    try:
        load.first_half_then_stop(kafka_stack, worker)

        worker.start().wait_ready()
        assert TIMED_OUT not in worker.log()

        load.second_half_and_check(kafka_stack, worker.url)
    finally:
        worker.stop()
