"""``orderflow demo`` end to end at a small size: its own worker, data dir and web port."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import psutil
import pytest

from pipeline.demo.errors import DemoError
from pipeline.demo.worker import READY_LINE, WorkerProcess, state_dir
from pipeline.settings import Settings
from support.workers import free_port

REASONS = {"OUT_OF_STOCK", "INSUFFICIENT_FUNDS", "INVALID_ORDER"}


def workers_of(data_dir) -> list[psutil.Process]:
    """Running ``orderflow worker`` processes whose tables live below ``data_dir``."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if "worker" in (process.info["cmdline"] or []) and \
                    process.environ().get("ORDERFLOW_DATA_DIR", "").startswith(str(data_dir)):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def test_demo_accounts_for_every_order_and_stops_its_worker(kafka_stack, tmp_path):
    data_dir = tmp_path / "demo"
    demo = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "demo", "--orders", "300", "--web-port", str(free_port()),
         "--data-dir", str(data_dir), "--timeout", "300"],
        env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_stack.bootstrap_servers,
             "SCHEMA_REGISTRY_URL": kafka_stack.registry_url, "COLUMNS": "120"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    try:
        output, _ = demo.communicate(timeout=840)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
        left_behind = workers_of(data_dir)
        for process in left_behind:
            process.kill()
    assert demo.returncode == 0, output
    assert left_behind == [], "the demo did not stop its worker"

    summary = json.loads((data_dir / "demo-summary.json").read_text())
    assert summary["orders"] == 300
    assert summary["confirmed"] + sum(summary["rejected"].values()) == 300
    assert summary["confirmed"] > 0.8 * 300
    assert set(summary["rejected"]) == REASONS
    assert summary["duplicates"] == 0
    assert summary["state_differences"] == {}
    assert summary["lag"]["partitions"] > 0
    assert summary["written"]["v1"] > 0 and summary["written"]["v2"] > 0
    assert "confirmed + rejected" in output and "orderflow stack down" not in output
    assert (data_dir / "worker.log").read_text().count("[^Worker]: Ready") == 1
    # the worker's tables are kept for the next demo on this cluster
    (kept,) = data_dir.glob("worker-*")
    assert kept.is_dir() and any(kept.iterdir())


def test_the_worker_keeps_its_tables_per_cluster(tmp_path):
    for old in ("worker", "worker-A"):
        (tmp_path / old / "tables").mkdir(parents=True)
    (tmp_path / "worker.log").write_text("log")
    kept = state_dir(tmp_path, "B")
    assert kept == tmp_path / "worker-B"
    (kept / "tables").mkdir(parents=True)
    assert state_dir(tmp_path, "B") == kept and (kept / "tables").is_dir()  # the same cluster: kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["worker-B", "worker.log"]  # other clusters: dropped


def test_a_worker_still_restoring_is_waited_for_and_a_silent_one_is_not(tmp_path):
    log = tmp_path / "worker.log"
    log.write_text("")
    worker = WorkerProcess(Settings.from_env(), tmp_path / "worker-A", 0, log)

    def restore() -> None:  # progress every 0.2 s for 0.8 s, well past the timeout, then ready
        for remaining in (900, 600, 300, 100):
            time.sleep(0.2)
            with log.open("a") as out:
                out.write("[INFO] Still fetching changelog topics for recovery, estimated time remaining 1 minute "
                          f"(total remaining={remaining}):\n")
        with log.open("a") as out:
            out.write(f"{READY_LINE}\n")

    seen: list[int] = []
    writer = threading.Thread(target=restore)
    writer.start()
    started = time.monotonic()
    worker.wait_ready(0.3, seen.append)
    waited = time.monotonic() - started
    writer.join()
    assert waited > 0.6  # past the timeout, since the log kept growing
    assert seen and set(seen) <= {900, 600, 300, 100} and seen == sorted(seen, reverse=True)  # as it went
    log.write_text("[INFO] starting\n")
    with pytest.raises(DemoError, match="logged nothing for 0 s"):
        worker.wait_ready(0.2)
