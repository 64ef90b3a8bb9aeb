"""End-to-end latency of the saga at fixed order rates.

For each rate, a worker starts on fresh state, its stock and deposits are
seeded and processed, then orders are sent at that rate for ``--duration`` s.
An order's latency runs from its ``occurredAt`` (stamped when it is sent) to
the moment its ``OrderOutcome`` is read by a ``read_committed`` consumer: what
a downstream service waits. After the last send the benchmark waits up to
``--drain`` s for the remaining outcomes; an order still without one then
counts as slower than anything measured, so a percentile that falls among
them is reported as "> drain" rather than as a flattering number.
"""
from __future__ import annotations

import math
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from pipeline.bench import goals, results, workload
from pipeline.bench.cluster import SAGA_OUTPUT, bench_cluster, reset_saga, stack_option
from pipeline.bench.outputs import OutputWatcher
from pipeline.bench.saga import start_worker, wait_processed
from pipeline.settings import Settings

PERCENTILES = (50, 95, 99)
GOAL_RATE, GOAL_P99_MS = 1000, 250.0


@dataclass
class Options:
    rates: tuple[int, ...] = (1000, 5000)
    duration: float = 60.0
    drain: float = 60.0
    users: int = 10_000
    skus: int = 2_000
    seed: int = 42
    work_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))


def percentile(sorted_ms: list[float], q: float) -> float | None:
    """Nearest-rank percentile; None when it falls on an order without an outcome (inf)."""
    value = sorted_ms[max(0, math.ceil(q / 100 * len(sorted_ms)) - 1)]
    return None if math.isinf(value) else value


def measure(settings: Settings, console: Console, rate: int, options: Options, scratch: Path) -> dict:
    """One rate on a fresh worker: sent, received, achieved rate and the percentiles."""
    count = int(rate * options.duration)
    load = workload.build(count, options.users, options.skus, seed=options.seed, prefix=f"latency-{rate}-")
    reset_saga(settings, inputs=True)
    workload.send_seeds(settings, load, console)
    worker = start_worker(settings, scratch / f"worker-{rate}")
    watcher = None
    try:
        seeded_s, unseeded = wait_processed(settings, worker, console, ("stock", "deposits"), timeout=600)
        watcher = OutputWatcher(settings, SAGA_OUTPUT).start()
        sent_rate = workload.send(settings, "orders", load.orders, console, rate=rate)
        drain_until = time.monotonic() + options.drain
        with workload.progress_bar(console) as bar:
            task = bar.add_task(f"outcomes at {rate:,}/s", total=count)
            complete = watcher.wait_for(count, stall=options.drain + 60, process=worker, deadline=drain_until,
                                        progress=lambda n: bar.update(task, completed=n))
        worker.sample()
    finally:
        if watcher is not None:
            watcher.stop()
        worker.stop()
    read_at = watcher.read_at
    latencies = sorted(
        (read_at[o.orderId.encode()] - o.occurredAt.timestamp()) * 1000 if o.orderId.encode() in read_at
        else math.inf
        for o in load.orders)
    figures = {f"p{q}_ms": percentile(latencies, q) for q in PERCENTILES}
    received = [ms for ms in latencies if not math.isinf(ms)]
    return {"rate": rate, "sent": count, "sent_per_s": round(sent_rate), "received": len(received),
            "complete": complete, "seeded_s": round(seeded_s, 1), "seed_records_left": unseeded,
            "peak_rss_mib": round(worker.peak_rss / 2**20),
            **figures, "max_ms": max(received) if complete else None, "min_ms": min(received, default=None)}


def run(settings: Settings, console: Console, options: Options) -> dict:
    scratch = Path(tempfile.mkdtemp(prefix="of-bench-latency-", dir=options.work_dir))
    try:
        rows = [measure(settings, console, rate, options, scratch) for rate in options.rates]
    except BaseException:
        console.print(f"[red]failed; worker logs kept in {scratch}[/]")
        raise
    shutil.rmtree(scratch, ignore_errors=True)
    at_goal_rate = next((row for row in rows if row["rate"] == GOAL_RATE), None)
    p99 = at_goal_rate["p99_ms"] if at_goal_rate else None
    beyond = at_goal_rate is not None and p99 is None
    goal = goals.Goal(f"p99 latency at {GOAL_RATE:,} orders/s", options.drain * 1000 if beyond else p99,
                      GOAL_P99_MS, False, " ms", beyond)
    return {"settings": {**asdict(options), "work_dir": str(options.work_dir),
                         "partitions": settings.partitions, "commit_interval": settings.commit_interval},
            "results": {"rates": rows, "goals": [goal.as_dict()]}}


def _ms(value: float | None, drain: float) -> str:
    return f"> {drain:.0f} s" if value is None else f"{value:,.0f} ms"


COLUMNS = ("orders/s", "sent at", "outcomes", *(f"p{q}" for q in PERCENTILES), "max")


def rows(record: dict) -> list[list[str]]:
    """One row of cells per rate (see :data:`COLUMNS`), for the table and the README."""
    drain = record["settings"]["drain"]
    return [[f"{row['rate']:,}", f"{row['sent_per_s']:,}/s", f"{row['received']:,} / {row['sent']:,}",
             *(_ms(row[f"p{q}_ms"], drain) for q in PERCENTILES), _ms(row["max_ms"], drain)]
            for row in record["results"]["rates"]]


def table(record: dict) -> Table:
    options = record["settings"]
    out = Table(title=f"Latency: occurredAt -> outcome read (read_committed), {options['duration']:.0f} s per rate",
                caption=f"one saga worker, commit interval {options['commit_interval']} s; "
                        f"'> {options['drain']:.0f} s': no outcome yet that long after the last send")
    for column in COLUMNS:
        out.add_column(column, justify="right")
    for cells in rows(record):
        out.add_row(*cells)
    return out


def show(record: dict, console: Console) -> None:
    console.print(table(record))
    console.print(goals.table(goals.from_records(record["results"]["goals"])))


def parse_rates(text: str) -> tuple[int, ...]:
    try:
        rates = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise click.BadParameter(f"rates must be integers separated by commas, not {text!r}") from None
    if not rates or min(rates) <= 0:
        raise click.BadParameter("give at least one positive rate")
    return rates


@click.command("latency")
@click.option("--rates", default="1000,5000", show_default=True, help="Orders/s, one run each.")
@click.option("--duration", default=60.0, show_default=True, help="Seconds of sending per rate.")
@click.option("--drain", default=60.0, show_default=True, help="Seconds to wait for outcomes after the last send.")
@workload.mix_options
@stack_option
@results.results_option
def command(rates: str, duration: float, drain: float, users: int, skus: int, stack_mode: str,
            results_dir: Path) -> None:
    """p50/p95/p99/max from an order's occurredAt to its outcome, at fixed rates."""
    console = Console()
    options = Options(rates=parse_rates(rates), duration=duration, drain=drain, users=users, skus=skus)
    with bench_cluster(stack_mode, console) as settings:
        record = run(settings, console, options)
    path = results.save("latency", record["settings"], record["results"], results_dir)
    show(record, console)
    console.print(f"written {path}")
