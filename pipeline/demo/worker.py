"""The demo's worker: ``orderflow worker`` as a child process with its own data dir, port and log."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from pipeline.demo.errors import DemoError
from pipeline.settings import Settings
from pipeline.stack.logs import tail
from pipeline.stack.ports import is_free

#: the line Faust's worker logs once its agents and web server run
READY_LINE = "[^Worker]: Ready"


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

    def start(self, fresh: bool = True) -> None:
        """Start it; ``fresh`` drops local tables first (they are rebuilt from their changelogs)."""
        if not is_free(self.web_port):
            raise DemoError(f"web port {self.web_port} is in use (another worker?); choose one with --web-port")
        if fresh:
            shutil.rmtree(self.data_dir, ignore_errors=True)
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

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while READY_LINE not in self.log_path.read_text(errors="replace"):
            self.check()
            if time.monotonic() > deadline:
                raise DemoError(f"the worker is not ready after {timeout:.0f} s; log: {self.log_path}")
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
