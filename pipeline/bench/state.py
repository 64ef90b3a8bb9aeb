"""The saga worker with a large inventory: memory, disk, restart and restore.

``--skus`` skus are seeded into the inventory table the only way stock
enters it, as ``StockReplenished`` events. Once the worker has processed them:

* its RSS and the on-disk size of its data directory (RocksDB keeps the
  tables on disk, so memory should not grow with the number of skus);
* restart with the local state kept: from ``orderflow worker`` start to the
  first processed order (an order sent while the worker was down: its outcome
  read ``read_committed``);
* restart with the local state deleted: the same, now including the restore
  of every table from its changelog. The restore time is the difference of
  the two restarts (all else is the same start), and the restore rate the
  number of table keys over it.
"""
from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from pipeline.bench import goals, results, workload
from pipeline.bench.cluster import SAGA_OUTPUT, bench_cluster, reset_saga, stack_option
from pipeline.bench.outputs import OutputWatcher
from pipeline.bench.processes import BenchProcess, dir_size
from pipeline.bench.saga import start_worker, wait_processed
from pipeline.generate import deposit_events, sku_id, stock_events, user_id
from pipeline.models import OrderItem, OrderPlaced
from pipeline.models.examples import now
from pipeline.settings import Settings

GOAL_RSS_MIB, GOAL_RSS_SKUS, GOAL_RESTART_S = 300.0, 1_000_000, 10.0
USERS = 10
MIB = 2**20


@dataclass
class Options:
    skus: int = 1_000_000
    seed_timeout: float = 7200.0
    work_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))


def probe_order() -> OrderPlaced:
    """A small valid order for a seeded sku and user, to see when a worker processes again."""
    item = OrderItem(sku=sku_id(0), quantity=1, unitPrice=Decimal("1.00"))
    return OrderPlaced(eventId=str(uuid.uuid4()), orderId=f"state-probe-{uuid.uuid4().hex[:12]}",
                       userId=user_id(0), items=[item], total=Decimal("1.00"), occurredAt=now())


def restart(settings: Settings, data_dir: Path, watcher: OutputWatcher, console: Console) -> tuple[float, BenchProcess]:
    """Send an order while no worker runs, start one: seconds from its start to that order's outcome."""
    workload.send(settings, "orders", [probe_order()], console)
    worker = start_worker(settings, data_dir)
    with console.status("waiting for the first processed order after the restart..."):
        watcher.wait_for(watcher.count + 1, stall=3600, process=worker)
    return watcher.last_read() - worker.started, worker


def measure(settings: Settings, console: Console, options: Options, data_dir: Path) -> dict:
    reset_saga(settings, inputs=True)
    workload.send(settings, "stock", stock_events(options.skus, 100), console)
    workload.send(settings, "deposits", deposit_events(USERS, Decimal("1000")), console)
    worker = start_worker(settings, data_dir)
    watcher = OutputWatcher(settings, SAGA_OUTPUT).start()
    try:
        seeded_s, unseeded = wait_processed(settings, worker, console, ("stock", "deposits"), options.seed_timeout)
        skus_in = max(0, options.skus - unseeded)  # each sku is one record, in the input or the routed topic
        time.sleep(2.0)  # let the last commit settle before reading memory and disk
        rss = worker.sample()
        disk = dir_size(data_dir)
        stops = [stop(worker)]
        warm_s, worker = restart(settings, data_dir, watcher, console)
        stops.append(stop(worker))
        shutil.rmtree(data_dir)
        cold_s, worker = restart(settings, data_dir, watcher, console)
    finally:
        worker.stop()
        watcher.stop()
    # inventory, balances, and the first probe order's saga state (more skus if seeding went on meanwhile)
    keys = skus_in + USERS + 1
    restore_s = cold_s - warm_s
    return {"skus": options.skus, "skus_in": skus_in, "seed_complete": unseeded == 0,
            "seed_s": round(seeded_s, 1), "seed_keys_per_s": round(skus_in / seeded_s),
            "rss_mib": round(rss / MIB, 1), "data_dir_mib": round(disk / MIB, 1),
            "restart_warm_s": round(warm_s, 2), "restart_cold_s": round(cold_s, 2),
            "restored_keys": keys, "restore_s": round(restore_s, 2),
            "restore_keys_per_s": round(keys / restore_s) if restore_s > 0 else None,
            "stops": stops}


def stop(worker: BenchProcess) -> dict:
    """Stop ``worker``; its exit code (0: clean, so its local state is kept) and how long it took."""
    started = time.monotonic()
    code = worker.stop()
    return {"exit_code": code, "seconds": round(time.monotonic() - started, 1)}


def run(settings: Settings, console: Console, options: Options) -> dict:
    scratch = Path(tempfile.mkdtemp(prefix="of-bench-state-", dir=options.work_dir))
    try:
        figures = measure(settings, console, options, scratch / "worker")
    except BaseException:
        console.print(f"[red]failed; worker data and log kept in {scratch}[/]")
        raise
    shutil.rmtree(scratch, ignore_errors=True)
    rss_goal = goals.Goal(f"worker RSS with {GOAL_RSS_SKUS:,} skus",
                          figures["rss_mib"] if figures["skus_in"] >= GOAL_RSS_SKUS else None, GOAL_RSS_MIB, False,
                          " MiB")
    restart_goal = goals.Goal("restart to first processed order, local state kept", figures["restart_warm_s"],
                              GOAL_RESTART_S, False, " s")
    return {"settings": {**asdict(options), "work_dir": str(options.work_dir), "partitions": settings.partitions,
                         "commit_interval": settings.commit_interval},
            "results": {**figures, "goals": [rss_goal.as_dict(), restart_goal.as_dict()]}}


def seeding(r: dict) -> str:
    done = "" if r["seed_complete"] else f", stopped waiting with {r['skus_in']:,} of {r['skus']:,} in"
    return f"{r['seed_s']:,.1f} s ({r['seed_keys_per_s']:,} skus/s{done})"


def rows(r: dict) -> list[tuple[str, str]]:
    """The figures of a run's results as (what, how much) pairs, for the table and the README."""
    restore = f"{r['restored_keys']:,} keys in {r['restore_s']:.1f} s"
    if r["restore_keys_per_s"]:
        restore += f" ({r['restore_keys_per_s']:,} keys/s)"
    return [
        ("seeding (StockReplenished processed)", seeding(r)),
        (f"worker RSS, {r['skus_in']:,} skus in", f"{r['rss_mib']:,.0f} MiB"),
        ("data dir on disk", f"{r['data_dir_mib']:,.1f} MiB"),
        ("start -> first processed order, local state kept", f"{r['restart_warm_s']:.1f} s"),
        ("start -> first processed order, local state deleted", f"{r['restart_cold_s']:.1f} s"),
        ("changelog restore (the difference)", restore),
    ]


def table(record: dict) -> Table:
    r = record["results"]
    out = Table(title=f"State: {r['skus']:,} skus in the inventory table, one worker", show_header=False)
    out.add_column(style="bold")
    out.add_column(justify="right")
    for name, value in rows(r):
        out.add_row(name, value)
    return out


def show(record: dict, console: Console) -> None:
    console.print(table(record))
    console.print(goals.table(goals.from_records(record["results"]["goals"])))


@click.command("state")
@click.option("--skus", default=1_000_000, show_default=True, help="Skus seeded into the inventory table.")
@click.option("--seed-timeout", default=7200.0, show_default=True,
              help="Seconds to wait for seeding; then the figures are taken with the skus in by then.")
@stack_option
@results.results_option
def command(skus: int, seed_timeout: float, stack_mode: str, results_dir: Path) -> None:
    """Worker RSS and disk with many skus, restart time, changelog restore rate."""
    console = Console()
    with bench_cluster(stack_mode, console) as settings:
        record = run(settings, console, Options(skus=skus, seed_timeout=seed_timeout))
    path = results.save("state", record["settings"], record["results"], results_dir)
    show(record, console)
    console.print(f"written {path}")
