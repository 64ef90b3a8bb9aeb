"""A local store that claims more than its changelog holds is rebuilt, not fatal."""
from __future__ import annotations

import uuid

from rocksdict import Options, Rdict

from support.saga import SagaLoad
from support.workers import WorkerProcess

OFFSET_KEY = b"__faust\0offset__"  # where Faust's RocksDB store keeps its changelog offset


def push_persisted_offsets_past_the_changelog(tables_dir) -> int:
    pushed = 0
    for path in sorted(tables_dir.glob("*.db")):
        db = Rdict(str(path), Options(raw_mode=True))
        try:
            if db.get(OFFSET_KEY) is not None:
                db[OFFSET_KEY] = b"999999999"
                pushed += 1
        finally:
            db.close()
    return pushed


def test_worker_with_store_ahead_of_changelog_recovers_and_processes(kafka_stack, registered, tmp_path):
    load = SagaLoad(f"stale-{uuid.uuid4().hex[:8]}-", orders=300)
    worker = WorkerProcess(tmp_path / "data").start().wait_ready()
    try:
        load.first_half_then_stop(kafka_stack, worker)

        assert push_persisted_offsets_past_the_changelog(tmp_path / "data" / "v1" / "tables") > 0
        worker.start().wait_ready()
        assert "rebuilding that partition from the changelog" in worker.log()

        load.second_half_and_check(kafka_stack, worker.url)
    finally:
        worker.stop()
