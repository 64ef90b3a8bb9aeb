"""``orderflow worker`` as a subprocess, the way users run it."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from pipeline.demo.worker import READY_LINE


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WorkerProcess:
    """One worker with its own data dir, web port and log file."""

    def __init__(self, data_dir: Path, *, web_port: int | None = None, env: dict | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.web_port = web_port or free_port()
        self.log_path = self.data_dir.with_suffix(".log")
        self.env = {**os.environ, **(env or {}),
                    "ORDERFLOW_DATA_DIR": str(self.data_dir),
                    "ORDERFLOW_WEB_PORT": str(self.web_port)}
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://localhost:{self.web_port}"

    def start(self) -> "WorkerProcess":
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "worker"],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[self._log_offset:]

    def wait_ready(self, timeout: float = 300.0) -> "WorkerProcess":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if READY_LINE in self.log():
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited with {self.process.returncode}; log: {self.log_path}")
            time.sleep(0.2)
        raise TimeoutError(f"worker not ready after {timeout:.0f} s; log: {self.log_path}")

    def kill(self) -> None:
        """SIGKILL: no commit, no cleanup, like a crashed machine."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM and wait for a clean exit (killed if it takes longer)."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return self.process.returncode


def wait_for_stable_group(settings, members: int, group: str = "orderflow", timeout: float = 120.0) -> None:
    """Wait until ``group`` is Stable with exactly ``members`` members: a killed worker keeps
    its partitions until its session times out, and a query for one of them finds no owner."""
    from confluent_kafka import ConsumerGroupState
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": settings.bootstrap_servers})
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        description = admin.describe_consumer_groups([group])[group].result(timeout=10)
        seen = (description.state, len(description.members))
        if seen == (ConsumerGroupState.STABLE, members):
            return
        time.sleep(1)
    raise TimeoutError(f"group {group} not stable with {members} members after {timeout:.0f} s (last seen {seen})")
