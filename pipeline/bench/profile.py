"""Where the saga worker's CPU time goes: py-spy samples of a throughput run.

py-spy attaches to the running ``orderflow worker`` (no restart, no code
change), samples its stacks ``--rate`` times a second while it processes the
throughput benchmark's input, and writes them in its raw (collapsed) format.
Each sample is one stack; a function's *own* samples are those where it is
the innermost frame, its *total* samples those where it is anywhere on the
stack. Idle stacks (waiting in ``select``) are left out by py-spy itself.
Attaching needs ptrace rights: root, or ``kernel.yama.ptrace_scope`` = 0.

The worker is paused for each sample (py-spy's default). Read without a
pause (``--nonblocking``), a stack caught in C code was often torn: of a
20 s sample of the saga, 25% of the samples were errors, and the rest put
fastavro's encode and decode (Avro in C) at 5% and 4% of the busy main
thread where paused samples of the same workload put them at 13% and 10%,
with the difference spread over pure-Python lines. The pauses did not slow
the run that measured it (orders/s within the runs around it).
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from pipeline.bench import results, throughput, workload
from pipeline.bench.cluster import bench_cluster, stack_option
from pipeline.bench.processes import BenchProcess
from pipeline.eos.cadence import SLOW_ROUND

RATE = 100
ATTACH_TIMEOUT = 30.0
SLOW_COMMIT = re.compile(re.escape(SLOW_ROUND).replace("%r", r"([\d.]+)"))


def py_spy() -> str:
    found = Path(sys.executable).with_name("py-spy")
    return str(found) if found.exists() else (shutil.which("py-spy") or "py-spy")


def package_of(frame: str) -> str:
    """The package of a py-spy frame ``func (pkg/module.py:12)``: ``pkg``."""
    location = frame.rpartition("(")[2].rstrip(")")
    path = location.rsplit(":", 1)[0]
    head = path.split("/", 1)[0]
    return head[:-3] if head.endswith(".py") else head


def parse(raw: str, top: int) -> dict:
    """Top-``top`` functions by own and total samples, and own samples per package."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        samples += n
        own[frames[-1]] += n
        packages[package_of(frames[-1])] += n
        for frame in set(frames):
            total[frame] += n

    def rows(counter: Counter[str]) -> list[dict]:
        return [{"function": name, "samples": n, "share": n / samples} for name, n in counter.most_common(top)]

    return {"samples": samples, "rate": RATE, "top_own": rows(own), "top_total": rows(total),
            "by_package": rows(packages)}


def slow_commits(log: str) -> dict:
    """Commit rounds that outlasted the commit interval, from the consumer's warnings in a worker log.

    :mod:`pipeline.eos.cadence` logs one for each such round.

    Not CPU time: a commit round mostly waits for the broker (one transaction
    per source partition), which a CPU profile does not show.
    """
    runtimes = sorted(float(m.group(2)) for m in SLOW_COMMIT.finditer(log))
    if not runtimes:
        return {"count": 0}
    return {"count": len(runtimes), "seconds": round(sum(runtimes), 1),
            "median_s": round(statistics.median(runtimes), 2), "max_s": round(runtimes[-1], 2)}


class Sampler:
    """Profiles the first saga worker it is attached to (see :data:`throughput.SagaHook`)."""

    def __init__(self, work_dir: Path, top: int = 15) -> None:
        self.out = Path(tempfile.mkstemp(prefix="of-bench-profile-", suffix=".txt", dir=work_dir)[1])
        self.top = top
        self.attached = False
        self.seconds = 0.0
        self.slow_commits: dict = {}

    def attach(self, worker: BenchProcess):
        """Start sampling ``worker``; returns the callback that stops sampling."""
        if self.attached:
            return lambda: None
        self.attached = True
        spy = self._start(worker)
        started = time.monotonic()

        def stop() -> None:
            self.seconds = time.monotonic() - started
            self.slow_commits = slow_commits(worker.log_path.read_text(errors="replace"))
            spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
            try:
                spy.wait(60)
            except subprocess.TimeoutExpired:
                spy.kill()
                spy.wait()
        return stop

    def _start(self, worker: BenchProcess) -> subprocess.Popen:
        """py-spy on ``worker``, retried while the new process has no Python to find yet."""
        deadline = time.monotonic() + ATTACH_TIMEOUT
        argv = [py_spy(), "record", "--pid", str(worker.pid), "--rate", str(RATE), "--format", "raw",
                "--function", "-o", str(self.out)]
        while True:
            spy = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                spy.wait(1.0)
            except subprocess.TimeoutExpired:
                return spy  # still sampling: attached
            if time.monotonic() > deadline or not worker.running():
                raise RuntimeError(f"py-spy could not attach to pid {worker.pid}: {spy.stderr.read().decode()}")

    def summary(self) -> dict:
        try:
            found = parse(self.out.read_text(), self.top)
        finally:
            self.out.unlink(missing_ok=True)
        return {**found, "seconds": round(self.seconds, 1), "slow_commits": self.slow_commits}


def commits_sentence(profile: dict) -> str:
    slow = profile.get("slow_commits") or {"count": 0}
    if not slow["count"]:
        return "no commit round outlasted the commit interval"
    return (f"{slow['count']} commit rounds outlasted the commit interval: median {slow['median_s']} s, "
            f"max {slow['max_s']} s, {slow['seconds']} s in all of {profile['seconds']} s sampled")


def show(profile: dict, console: Console) -> None:
    samples = profile["samples"]
    for key, title in (("top_own", "own samples (innermost frame)"), ("top_total", "total samples (on the stack)"),
                       ("by_package", "own samples by package")):
        out = Table(title=f"saga worker CPU: {title}, {samples:,} samples at {profile['rate']}/s")
        out.add_column("function" if key != "by_package" else "package")
        out.add_column("samples", justify="right")
        out.add_column("share", justify="right")
        for row in profile[key]:
            out.add_row(row["function"], f"{row['samples']:,}", f"{row['share']:.1%}")
        console.print(out)
    console.print(f"saga worker: {commits_sentence(profile)} (the consumer's warnings in its log)")


def run(settings, console: Console, options: throughput.Options, top: int) -> dict:
    """One saga run of the throughput benchmark under py-spy."""
    options.variants, options.repeat = ("saga",), 1
    sampler = Sampler(options.work_dir, top)
    record = throughput.run(settings, console, options, sampler.attach)
    saga = record["results"]["variants"]["saga"]
    return {"settings": {**record["settings"], "top": top, "sampling_rate": RATE, "py_spy": py_spy()},
            "results": {"orders_per_s": saga["best"], **sampler.summary()}}


@click.command("profile")
@click.option("--orders", default=20_000, show_default=True, help="Orders processed while sampling.")
@click.option("--top", default=15, show_default=True, help="Functions listed.")
@workload.mix_options
@stack_option
@results.results_option
def command(orders: int, top: int, users: int, skus: int, stack_mode: str, results_dir: Path) -> None:
    """Where the saga worker's CPU time goes (py-spy, top functions)."""
    if os.geteuid() != 0:
        Console(stderr=True).print("[yellow]not root: py-spy needs ptrace rights (kernel.yama.ptrace_scope=0)[/]")
    console = Console()
    options = throughput.Options(orders=orders, users=users, skus=skus)
    with bench_cluster(stack_mode, console) as settings:
        record = run(settings, console, options, top)
    path = results.save("profile", record["settings"], record["results"], results_dir)
    show(record["results"], console)
    console.print(f"saga worker: {record['results']['orders_per_s']:,.0f} orders/s while sampled; written {path}")
