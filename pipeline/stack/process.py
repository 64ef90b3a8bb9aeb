"""Start, find and stop one JVM of the stack by the pid file in the stack dir.

A pid file alone could point at an unrelated process after a reboot, so a process only counts
as ours when its command line carries the ``-Dorderflow.stack=<dir>/<name>`` marker we start it with.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import datetime
from pathlib import Path

import psutil

from pipeline.stack.errors import StackError

MAX_LOG_BYTES = 50 << 20  # rotated on start, one old file kept


class JavaProcess:
    """One named JVM (``kafka`` or ``registry``) whose pid and log live in ``stack_dir``."""

    def __init__(self, name: str, stack_dir: Path) -> None:
        self.name = name
        self.stack_dir = stack_dir
        self.pid_file = stack_dir / f"{name}.pid"
        self.log_file = stack_dir / "logs" / f"{name}.log"
        self.marker = f"-Dorderflow.stack={stack_dir / name}"
        self._popen: subprocess.Popen | None = None

    def process(self) -> psutil.Process | None:
        """The live process, or None when it is not running (a zombie counts as stopped)."""
        if self._popen is not None and self._popen.poll() is None:
            # Our own child: while the JVM launcher execs, /proc briefly shows an empty cmdline.
            return psutil.Process(self._popen.pid)
        try:
            proc = psutil.Process(int(self.pid_file.read_text()))
            if proc.status() != psutil.STATUS_ZOMBIE and self.marker in proc.cmdline():
                return proc
        except (OSError, ValueError, psutil.Error):
            pass
        return None

    @property
    def pid(self) -> int | None:
        proc = self.process()
        return proc.pid if proc else None

    def rss(self) -> int | None:
        proc = self.process()
        try:
            return proc.memory_info().rss if proc else None
        except psutil.Error:
            return None

    def start(self, java: str, jvm_args: list[str], main: list[str], env: dict[str, str], cwd: Path) -> None:
        """Launch detached (own session) so the JVM outlives the command that started it."""
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        if self.log_file.exists() and self.log_file.stat().st_size > MAX_LOG_BYTES:
            self.log_file.replace(self.log_file.with_suffix(".log.1"))
        with self.log_file.open("a") as log:
            log.write(f"\n===== orderflow stack: {self.name} starting at {datetime.now().isoformat()} =====\n")
            log.flush()
            self._popen = subprocess.Popen(
                [java, self.marker, *jvm_args, *main],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, **env}, cwd=cwd, start_new_session=True,
            )
        self.pid_file.write_text(str(self._popen.pid))

    def check_alive(self) -> None:
        """Raise a one-line error pointing at the log when the JVM already exited."""
        code = self._popen.poll() if self._popen is not None else None
        if code is not None:
            raise StackError(f"{self.name} exited at start with code {code}; see {self.log_file}")
        if self.process() is None:
            raise StackError(f"{self.name} stopped while starting; see {self.log_file}")

    def stop(self, timeout: float = 30.0) -> bool:
        """SIGTERM, wait up to ``timeout`` seconds, then SIGKILL. True if something was stopped."""
        proc = self.process()
        if proc is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except psutil.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        if self._popen:
            self._popen.wait()
        self.pid_file.unlink(missing_ok=True)
        return True


def wait_until(ready, proc: JavaProcess, what: str, timeout: float) -> None:
    """Poll ``ready()`` until true; fail early if the JVM dies, or after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        proc.check_alive()
        if ready():
            return
        if time.monotonic() > deadline:
            raise StackError(f"{what} not ready after {timeout:.0f} s; see {proc.log_file}")
        time.sleep(0.25)
