"""A group of processes measured as one contender (the saga with two workers)."""
from __future__ import annotations

import sys
import time

import pytest

from pipeline.bench.processes import BenchProcess, ProcessGroup

SLEEPER = "import time; data = bytearray(32 * 2**20); time.sleep(60)"


def python(tmp_path, name: str, code: str) -> BenchProcess:
    return BenchProcess(name, [sys.executable, "-c", code], tmp_path / f"{name}.log")


def test_a_group_starts_and_stops_together_and_sums_its_rss(tmp_path):
    first, second = python(tmp_path, "first", SLEEPER), python(tmp_path, "second", SLEEPER)
    group = ProcessGroup([first, second]).start()
    try:
        assert group.started == first.started > 0 and second.started >= first.started
        time.sleep(1.0)
        total = group.sample()
        assert total == pytest.approx(first.peak_rss + second.peak_rss, rel=0.05)
        assert group.peak_rss == total and total > 2 * 32 * 2**20
        group.check_alive()
    finally:
        codes = group.stop(timeout=10)
    assert not first.running() and not second.running()
    assert len(codes) == 2


def test_a_group_is_dead_when_one_of_its_processes_exits(tmp_path):
    group = ProcessGroup([python(tmp_path, "sleeper", SLEEPER), python(tmp_path, "quitter", "print('bye')")]).start()
    try:
        deadline = time.monotonic() + 10
        while group.processes[1].running() and time.monotonic() < deadline:
            time.sleep(0.1)
        with pytest.raises(RuntimeError, match="quitter exited with code 0"):
            group.check_alive()
    finally:
        group.stop(timeout=10)


SLOW_TO_STOP = """
import signal, sys, time
def on_term(*_):
    print("term", time.time(), flush=True)
    time.sleep(1.5)
    print("exit", time.time(), flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
print("ready", flush=True)
time.sleep(60)
"""


def test_a_group_is_told_to_stop_all_at_once(tmp_path):
    """Each worker stopping alone would be a rebalance handing its partitions to the others."""
    first, second = python(tmp_path, "first", SLOW_TO_STOP), python(tmp_path, "second", SLOW_TO_STOP)
    group = ProcessGroup([first, second]).start()
    deadline = time.monotonic() + 10
    while not all(p.log_path.exists() and "ready" in p.log_path.read_text() for p in (first, second)) \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    assert group.stop(timeout=10) == [0, 0]
    times = {p.name: dict(line.split() for line in p.log_path.read_text().splitlines() if " " in line)
             for p in (first, second)}
    assert float(times["second"]["term"]) < float(times["first"]["exit"])
