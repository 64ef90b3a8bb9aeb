"""The demo's worker: ``orderflow worker`` as a child process with its own data dir, port and log."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pipeline.demo.errors import DemoError
from pipeline.settings import Settings
from pipeline.stack.logs import tail
from pipeline.stack.ports import is_free

#: the line Faust's worker logs once its agents and web server run
READY_LINE = "[^Worker]: Ready"
#: what Faust's recovery logs every few seconds while it restores tables from their changelogs
RESTORING = re.compile(r"Still fetching changelog topics for recovery.*\(total remaining=(\d+)\)")


def state_dir(data_dir: Path, cluster_id: str) -> Path:
    """Where the demo's worker keeps its tables on the cluster ``cluster_id``.

    Kept from one demo to the next, so that a restart reads only the changelog
    records written since: rebuilt from scratch every time, the tables of a
    stack that has seen many demos took minutes to restore. Those of any other
    cluster (a stack purged and made again, another bootstrap server) are
    dropped: their offsets mean nothing on this one.
    """
    keep = data_dir / f"worker-{cluster_id}"
    for other in data_dir.glob("worker*"):
        if other.is_dir() and other != keep:
            shutil.rmtree(other, ignore_errors=True)
    return keep


class WorkerProcess:
    """``orderflow worker`` writing to ``log_path``, with its tables under ``data_dir``."""

    def __init__(self, settings: Settings, data_dir: Path, web_port: int, log_path: Path) -> None:
        self.data_dir, self.web_port, self.log_path = data_dir, web_port, log_path
        self.env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
                    "SCHEMA_REGISTRY_URL": settings.registry_url, "ORDERFLOW_WEB_PORT": str(web_port),
                    "ORDERFLOW_DATA_DIR": str(data_dir)}
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://localhost:{self.web_port}"

    def start(self) -> None:
        if not is_free(self.web_port):
            raise DemoError(f"web port {self.web_port} is in use (another worker?); choose one with --web-port")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "pipeline", "worker"], env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def check(self) -> None:
        """Raise :class:`DemoError` with the end of the log if the worker has exited."""
        if self.process is not None and self.process.poll() is not None:
            lines: list[str] = []
            tail({"worker": self.log_path}, 15, False, lines.append)
            raise DemoError(f"the worker exited with status {self.process.returncode}; log: {self.log_path}\n"
                            + "\n".join(lines))

    def wait_ready(self, timeout: float, progress: Callable[[int], None] | None = None) -> None:
        """Wait for Faust's ready line, however long, as long as the log grows at least every ``timeout`` s.

        A worker restoring big tables logs the changelog records it has yet to
        read every few seconds (passed to ``progress``); a worker that logs
        nothing for ``timeout`` s is stuck.
        """
        size, deadline = -1, time.monotonic() + timeout
        while True:
            text = self.log_path.read_text(errors="replace")
            if READY_LINE in text:
                return
            self.check()
            if len(text) != size:
                size, deadline = len(text), time.monotonic() + timeout
                remaining = RESTORING.findall(text)
                if progress is not None and remaining:
                    progress(int(remaining[-1]))
            elif time.monotonic() > deadline:
                raise DemoError(f"the worker is not ready and has logged nothing for {timeout:.0f} s; "
                                f"log: {self.log_path}")
            time.sleep(0.3)

    def stop(self, timeout: float = 60.0) -> int | None:
        """SIGTERM (Faust commits and closes its tables), SIGKILL after ``timeout``; the exit status."""
        if self.process is None:
            return None
        self.process.terminate()
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()
