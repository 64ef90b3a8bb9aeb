"""The processes a benchmark measures: each one its own session, log file and pid.

Every contender runs as a subprocess, so the measuring process (which reads
the outputs) never shares an interpreter with what it measures, and each is
stopped by its own pid, never by name.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from pipeline.settings import Settings


class BenchProcess:
    """One subprocess with its log file; tracks its peak RSS while :meth:`sample` is called."""

    def __init__(self, name: str, argv: list[str], log_path: Path, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.argv = argv
        self.log_path = Path(log_path)
        self.env = {**os.environ, **(env or {})}
        self.popen: subprocess.Popen | None = None
        self.started = 0.0
        self.peak_rss = 0

    @property
    def pid(self) -> int:
        if self.popen is None:
            raise RuntimeError(f"{self.name} was not started")
        return self.popen.pid

    def start(self) -> "BenchProcess":
        """Spawn it; :attr:`started` is the wall-clock time just before the spawn.

        Wall clock, because it is compared with the times outputs are read
        (:class:`pipeline.bench.outputs.OutputWatcher`) and with event timestamps.
        """
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.started = time.time()
            self.popen = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                          start_new_session=True)
        return self

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def rss(self) -> int:
        """Resident memory in bytes now (0 once it has exited)."""
        try:
            return psutil.Process(self.pid).memory_info().rss
        except psutil.Error:
            return 0

    def sample(self) -> int:
        rss = self.rss()
        self.peak_rss = max(self.peak_rss, rss)
        return rss

    def check_alive(self) -> None:
        """Raise with the end of its log if it has exited."""
        if self.popen is not None and self.popen.poll() is not None:
            raise RuntimeError(f"{self.name} exited with code {self.popen.returncode}; "
                               f"end of {self.log_path}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 25) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def terminate(self) -> None:
        """SIGTERM to its session, if it still runs."""
        if self.running():
            os.killpg(self.popen.pid, signal.SIGTERM)

    def wait(self, timeout: float) -> int | None:
        """Its exit code, after SIGKILL to its session if it still runs after ``timeout`` s."""
        if self.popen is None:
            return None
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()
        return self.popen.returncode

    def stop(self, timeout: float = 60.0) -> int | None:
        """SIGTERM to its session, then SIGKILL after ``timeout`` s; its exit code."""
        self.terminate()
        return self.wait(timeout)


class ProcessGroup:
    """Processes measured as one contender: started together, stopped together.

    Its :attr:`started` is its first process's, its peak RSS the largest sum
    of their RSS seen by :meth:`sample`; :meth:`check_alive` raises when any
    of them has exited.
    """

    def __init__(self, processes: list[BenchProcess]) -> None:
        self.processes = processes
        self.started = 0.0
        self.peak_rss = 0

    def start(self) -> "ProcessGroup":
        for process in self.processes:
            process.start()
        self.started = self.processes[0].started
        return self

    def sample(self) -> int:
        rss = sum(process.sample() for process in self.processes)
        self.peak_rss = max(self.peak_rss, rss)
        return rss

    def check_alive(self) -> None:
        for process in self.processes:
            process.check_alive()

    def stop(self, timeout: float = 60.0) -> list[int | None]:
        """SIGTERM to all at once: one by one, each stop was a rebalance that gave the
        others every partition, and a worker stopping in mid-recovery could outlast
        ``timeout`` and be killed, its group membership left for the next run."""
        for process in self.processes:
            process.terminate()
        return [process.wait(timeout) for process in self.processes]


def cluster_env(settings: Settings) -> dict[str, str]:
    """The environment that points a child process at the benchmark's cluster."""
    return {"KAFKA_BOOTSTRAP_SERVERS": settings.bootstrap_servers, "SCHEMA_REGISTRY_URL": settings.registry_url,
            "ORDERFLOW_PARTITIONS": str(settings.partitions),
            "ORDERFLOW_COMMIT_INTERVAL": str(settings.commit_interval)}


def saga_worker(settings: Settings, data_dir: Path, web_port: int, loglevel: str = "warn") -> BenchProcess:
    """``orderflow worker`` with its own data dir and web port (not started)."""
    env = {**cluster_env(settings), "ORDERFLOW_DATA_DIR": str(data_dir), "ORDERFLOW_WEB_PORT": str(web_port)}
    return BenchProcess("orderflow worker", [sys.executable, "-m", "pipeline", "worker", "-l", loglevel],
                        Path(f"{data_dir}.log"), env)


def dir_size(path: Path) -> int:
    """Bytes of all files under ``path``."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())
