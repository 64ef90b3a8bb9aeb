"""Tail several log files at once, each line prefixed with the name of its JVM."""
from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import Callable


def tail(files: dict[str, Path], lines: int, follow: bool, echo: Callable[[str], None]) -> None:
    width = max(map(len, files))
    handles = {}
    for name, path in files.items():
        if not path.exists():
            echo(f"{name:<{width}} | (no log yet at {path})")
            continue
        handle = path.open(errors="replace")
        for line in deque(handle, maxlen=lines):
            echo(f"{name:<{width}} | {line.rstrip()}")
        handles[name] = handle
    while follow:
        quiet = True
        for name, handle in handles.items():
            for line in handle:
                quiet = False
                echo(f"{name:<{width}} | {line.rstrip()}")
        if quiet:
            time.sleep(0.3)
