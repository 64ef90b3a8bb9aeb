"""``orderflow demo`` end to end at a small size: its own worker, data dir and web port."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import psutil

from support.workers import free_port

REASONS = {"OUT_OF_STOCK", "INSUFFICIENT_FUNDS", "INVALID_ORDER"}


def workers_of(data_dir) -> list[psutil.Process]:
    """Running ``orderflow worker`` processes whose tables live in ``data_dir``."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if "worker" in (process.info["cmdline"] or []) and \
                    process.environ().get("ORDERFLOW_DATA_DIR") == str(data_dir):
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
        left_behind = workers_of(data_dir / "worker")
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
