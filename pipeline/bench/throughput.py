"""Orders/s of the saga against the limits of the same job done with less.

The same pre-produced orders (and the stock and deposits seeded to fit them)
are processed by four contenders, each reading ``orders`` with a consumer
group of its own and writing an output topic of its own (acks=all, the same
commit interval):

* ``aiokafka``: consume, decode with the project's serde, produce one outcome
  per order; no state, no transactions (the bare limit);
* ``aiokafka-tx``: the same loop with Kafka transactions (outputs and input
  offsets committed together);
* ``saga``: ``orderflow worker``, one worker, exactly_once, from empty state;
* ``saga-2``: the same with two workers, started together, which share the
  partitions (a worker is one event-loop thread: the second uses the other core);
* ``quix``: Quix Streams doing the inventory part (per-sku reservations in
  its RocksDB state, one outcome per order), exactly-once by default.

A rate is the number of orders over the time from the contender's process
start to the moment its last outcome is read by a ``read_committed`` consumer:
under exactly-once an output exists for others only once committed, and
neither first-to-last output nor record timestamps would say that. Contenders
run in turn, repeat after repeat, so a slow spell of the machine is shared.
After its first run, the records each contender moved per order are counted
(:mod:`pipeline.bench.records`): what its rate is made of.
"""
from __future__ import annotations

import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from pipeline.bench import goals, quix_env, records, results, workload
from pipeline.bench.cluster import (
    SAGA_OUTPUT,
    bench_cluster,
    create_topics,
    delete_groups,
    delete_topics,
    existing_topics,
    reset_saga,
    saga_topics,
    stack_option,
)
from pipeline.bench.outputs import OutputWatcher
from pipeline.bench.processes import BenchProcess, ProcessGroup, cluster_env, saga_worker
from pipeline.serde import SchemaRegistry, schemas
from pipeline.settings import Settings
from pipeline.stack.ports import free_ports

#: variant -> (label, processing guarantee; Quix's is ``--quix-guarantee``)
VARIANTS = {
    "aiokafka": ("(a) aiokafka loop", "auto-commit"),
    "aiokafka-tx": ("(b) aiokafka + transactions", "exactly-once"),
    "saga": ("(c) orderflow saga", "exactly_once"),
    "saga-2": ("(c2) orderflow saga, 2 workers", "exactly_once"),
    "quix": ("(d) Quix Streams, inventory", "exactly-once"),
}
#: saga variant -> its worker processes
SAGA_WORKERS = {"saga": 1, "saga-2": 2}
#: The saga against the bare transactional loop (b) and Quix Streams (d), best rates.
GOAL_VS_TX_LOOP, GOAL_VS_QUIX = 0.6, 1.0
#: A plain Faust agent doing Quix's job (``table[sku] += q``, ``await topic.send``) with
#: exactly-once ran 1,060 orders/s on a 2-core machine of this kind; the saga aims at 10x that.
PLAIN_FAUST_EOS_RATE, GOAL_VS_PLAIN_FAUST = 1_060, 10


@dataclass
class Options:
    orders: int = 200_000
    repeat: int = 3
    users: int = 10_000
    skus: int = 2_000
    variants: tuple[str, ...] = tuple(VARIANTS)
    commit_interval: float = 0.1
    quix_guarantee: str = "exactly-once"
    #: seconds without a new output before a run is declared stuck
    stall: float = 600.0
    #: seconds after which a run stops and counts as incomplete (its rate: outcomes so far / time)
    run_timeout: float = 1800.0
    seed: int = 42
    work_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))


@dataclass
class Run:
    variant: str
    rate: float
    seconds: float
    first_output_s: float
    peak_rss_mib: float
    outcomes: dict[str, int]
    #: False when the run hit ``run_timeout`` before every order had its outcome
    complete: bool = True
    #: outcomes read beyond the first one of their order (0 under exactly-once)
    duplicates: int = 0
    #: committed records of each topic the contender wrote, by kind (first attempt only; see :mod:`records`)
    records: dict[str, dict[str, int]] | None = None


#: called with the worker process of a saga run once it is started; returns a stop callback
SagaHook = Callable[[BenchProcess], Callable[[], None]]


class Bench:
    """One throughput session: a cluster with the input produced, and a scratch directory."""

    def __init__(self, settings: Settings, options: Options, console: Console) -> None:
        self.settings = replace(settings, commit_interval=options.commit_interval)
        self.options = options
        self.console = console
        self.registry = SchemaRegistry(settings.registry_url)
        self.scratch = Path(tempfile.mkdtemp(prefix="of-bench-", dir=options.work_dir))
        self.token = secrets.token_hex(3)
        self.input: workload.Workload | None = None

    def prepare(self) -> dict:
        """Generate the input and produce it to fresh input topics; the producer rates."""
        o = self.options
        with self.console.status(f"generating {o.orders:,} orders..."):
            self.input = workload.build(o.orders, o.users, o.skus, seed=o.seed)
        if "quix" in o.variants:
            quix_env.python(self.console)  # made before any clock starts
        reset_saga(self.settings, inputs=True)
        workload.send_seeds(self.settings, self.input, self.console)
        rate = workload.send(self.settings, "orders", self.input.orders, self.console)
        return {"produce_orders_per_s": round(rate)}

    def process_for(self, variant: str, output: str, group: str, run_dir: Path) -> BenchProcess | ProcessGroup:
        env = cluster_env(self.settings)
        log = run_dir.with_suffix(".log")
        if variant.startswith("aiokafka"):
            argv = [sys.executable, "-m", "pipeline.bench.loops", "--output", output, "--group", group,
                    "--commit-interval", str(self.options.commit_interval)]
            return BenchProcess(variant, argv + (["--transactional"] if variant == "aiokafka-tx" else []), log, env)
        if variant == "quix":
            argv = [str(quix_env.python(self.console)), str(quix_env.JOB),
                    "--bootstrap", self.settings.bootstrap_servers, "--registry", self.settings.registry_url,
                    "--output", output, "--group", group,
                    "--state-dir", str(run_dir), "--schemas", str(schemas.SCHEMA_DIR),
                    "--commit-interval", str(self.options.commit_interval),
                    "--guarantee", self.options.quix_guarantee]
            return BenchProcess(variant, argv, log, env)
        workers = SAGA_WORKERS[variant]
        if workers == 1:
            return saga_worker(self.settings, run_dir, free_ports(1)[0])
        return ProcessGroup([saga_worker(self.settings, run_dir / f"worker-{n}", port)
                             for n, port in enumerate(free_ports(workers))])

    def run(self, variant: str, attempt: int, progress: Callable[[int], None] | None = None,
            saga_hook: SagaHook | None = None) -> Run:
        """Process the whole input once with ``variant``; tear its traces down afterwards."""
        assert self.input is not None, "prepare() first"
        expected = len(self.input.orders)
        group = f"bench-{variant}-{self.token}-{attempt}"
        saga = variant in SAGA_WORKERS
        output = SAGA_OUTPUT if saga else group
        run_dir = self.scratch / group
        if saga:
            reset_saga(self.settings)
        else:
            create_topics(self.settings, [output])
        watcher = OutputWatcher(self.settings, output).start()
        process = self.process_for(variant, output, group, run_dir).start()
        stop_hook = saga_hook(process) if saga_hook and variant == "saga" else None
        try:
            complete = watcher.wait_for(expected, stall=self.options.stall, process=process, progress=progress,
                                        deadline=time.monotonic() + self.options.run_timeout)
            stopped = time.time()
        finally:
            if stop_hook:
                stop_hook()
            process.stop()
            watcher.stop()
        seconds = (watcher.last_read() if complete else stopped) - process.started
        counted = self.count_records(variant, output, group) if attempt == 1 else None
        run = Run(variant, watcher.count / seconds, seconds,
                  watcher.first_read() - process.started if watcher.count else seconds,
                  process.peak_rss / 2**20, dict(watcher.outcomes(self.registry)), complete,
                  watcher.messages - watcher.count, counted)
        if not saga:
            self.forget(group)
        shutil.rmtree(run_dir, ignore_errors=True)
        return run

    def count_records(self, variant: str, output: str, group: str) -> dict[str, dict[str, int]]:
        """The committed records of every topic ``variant`` wrote in its run, by kind."""
        written = saga_topics(self.settings) if variant in SAGA_WORKERS else self.topics_of(group)
        started = time.monotonic()
        with self.console.status(f"counting the records {VARIANTS[variant][0]} wrote..."):
            counts = records.count(self.settings, written)
        self.console.log(f"{VARIANTS[variant][0]}: {sum(counts.values()):,} records in {len(counts)} topics "
                         f"counted in {time.monotonic() - started:.1f} s")
        return records.by_kind(counts, output)

    def forget(self, group: str) -> None:
        """Delete a contender's output, its consumer group and the internal topics Quix names after it."""
        delete_groups(self.settings, [group])
        delete_topics(self.settings, self.topics_of(group))

    def topics_of(self, group: str) -> set[str]:
        """A non-saga contender's topics: its output and the internal topics Quix names after it."""
        return {name for name in existing_topics(self.settings) if group in name}

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)


def summarize(runs: list[Run], options: Options) -> dict:
    """Best and median rate per variant, the ratios of the saga to the others, and the goals."""
    variants = {}
    for variant in options.variants:
        mine = [run for run in runs if run.variant == variant]
        rates = [run.rate for run in mine]
        counted = next((run for run in mine if run.records is not None), None)
        variants[variant] = {
            "label": VARIANTS[variant][0],
            "guarantee": options.quix_guarantee if variant == "quix" else VARIANTS[variant][1],
            "best": max(rates), "median": statistics.median(rates), "rates": rates,
            "runs": [asdict(run) for run in mine],
            # per order with an outcome: an incomplete run did not process them all
            "records": None if counted is None else records.PerOrder.of(
                counted.records, max(1, sum(counted.outcomes.values()))).as_dict(),
        }
    # the saga against each other contender, and two workers against one
    pairs = [("saga", other) for other in ("aiokafka", "aiokafka-tx", "quix")] + [("saga-2", "saga")]
    ratios = {f"{top}/{bottom}": {stat: variants[top][stat] / variants[bottom][stat] for stat in ("best", "median")}
              for top, bottom in pairs if top in variants and bottom in variants}
    summary = {"variants": variants, "ratios": ratios}
    return {**summary, "goals": [goal.as_dict() for goal in throughput_goals(summary)]}


def throughput_goals(summary: dict) -> list[goals.Goal]:
    """The saga's goals, judged from a run's best rates (``summary``: its variants and ratios)."""
    ratios, variants = summary["ratios"], summary["variants"]

    def best(name: str) -> float | None:
        return ratios[name]["best"] if name in ratios else None

    saga = variants["saga"]["best"] if "saga" in variants else None
    return [goals.Goal("saga / bare transactional loop (best)", best("saga/aiokafka-tx"), GOAL_VS_TX_LOOP, True, "x"),
            goals.Goal("saga / Quix Streams (best)", best("saga/quix"), GOAL_VS_QUIX, True, "x"),
            goals.Goal(f"saga orders/s (best), {GOAL_VS_PLAIN_FAUST}x a plain Faust agent's {PLAIN_FAUST_EOS_RATE:,}",
                       saga, PLAIN_FAUST_EOS_RATE * GOAL_VS_PLAIN_FAUST, True)]


def table(summary: dict, options: Options, settings: dict) -> Table:
    out = Table(title=f"Throughput: {settings['workload']['orders']:,} orders, best and median of {options.repeat}",
                caption=f"commit interval {options.commit_interval} s, acks=all, {settings['partitions']} partitions; "
                        "rate = orders / (process start -> last outcome read read_committed)")
    for column in ("contender", "guarantee", "best orders/s", "median orders/s", "first output", "peak RSS",
                   "confirmed", "duplicates"):
        out.add_column(column, justify="left" if column in ("contender", "guarantee") else "right")
    for variant in summary["variants"].values():
        last = variant["runs"][-1]
        confirmed = last["outcomes"].get("CONFIRMED", 0) / max(1, sum(last["outcomes"].values()))
        label = variant["label"] + ("" if all(r["complete"] for r in variant["runs"]) else " [red](incomplete)[/]")
        out.add_row(label, variant["guarantee"], f"{variant['best']:,.0f}", f"{variant['median']:,.0f}",
                    f"{last['first_output_s']:.1f} s", f"{last['peak_rss_mib']:.0f} MiB", f"{confirmed:.0%}",
                    f"{sum(run['duplicates'] for run in variant['runs']):,}")
    for name, ratio in summary["ratios"].items():
        out.add_row(f"ratio {name}", "", goals.figure(ratio["best"], "x"), goals.figure(ratio["median"], "x"),
                    "", "", "", "",
                    style="bold")
    return out


def run(settings: Settings, console: Console, options: Options, saga_hook: SagaHook | None = None) -> dict:
    """The whole benchmark; returns the run record's settings and results."""
    bench = Bench(settings, options, console)
    try:
        producer = bench.prepare()
        runs = []
        with workload.progress_bar(console) as bar:
            for attempt in range(1, options.repeat + 1):
                for variant in options.variants:
                    task = bar.add_task(f"{VARIANTS[variant][0]} #{attempt}", total=options.orders)
                    runs.append(bench.run(variant, attempt, lambda n, t=task: bar.update(t, completed=n), saga_hook))
                    bar.update(task, description=f"{VARIANTS[variant][0]} #{attempt}: {runs[-1].rate:,.0f}/s")
    except BaseException:
        console.print(f"[red]failed; logs and data kept in {bench.scratch}[/]")
        raise
    bench.close()
    record_settings = {"workload": bench.input.describe(), **asdict(options), "work_dir": str(options.work_dir),
                       "partitions": bench.settings.partitions, "quix_version": quix_env.QUIX_VERSION,
                       "producer": producer}
    return {"settings": record_settings, "results": summarize(runs, options)}


def show(record: dict, console: Console) -> None:
    options = Options(**{k: v for k, v in record["settings"].items() if k in Options.__dataclass_fields__})
    console.print(table(record["results"], options, record["settings"]))
    console.print(records.table(record["results"]["variants"]))
    console.print(goals.table(goals.from_records(record["results"]["goals"])))


def options_from(orders: int, repeat: int, variants: str, **rest) -> Options:
    chosen = tuple(v.strip() for v in variants.split(",") if v.strip())
    unknown = set(chosen) - set(VARIANTS)
    if unknown:
        raise click.BadParameter(f"unknown variants {sorted(unknown)}; choose from {list(VARIANTS)}")
    return Options(orders=orders, repeat=repeat, variants=chosen, **rest)


throughput_options = [
    click.option("--orders", default=200_000, show_default=True, help="Orders to process."),
    click.option("--repeat", default=3, show_default=True, help="Runs per contender (best and median)."),
    click.option("--variants", default=",".join(VARIANTS), show_default=True, help="Contenders to run."),
    workload.mix_options,
    click.option("--commit-interval", default=0.1, show_default=True, help="Seconds between commits, for all."),
    click.option("--run-timeout", default=1800.0, show_default=True,
                 help="Seconds after which a run stops; its rate is then outcomes so far / time (marked incomplete)."),
    click.option("--quix-guarantee", type=click.Choice(["exactly-once", "at-least-once"]), default="exactly-once",
                 show_default=True),
]


def with_options(options: list):
    def decorate(fn):
        for option in reversed(options):
            fn = option(fn)
        return fn
    return decorate


@click.command("throughput")
@with_options(throughput_options)
@click.option("--profile", is_flag=True, help="Also profile the saga worker with py-spy (see `bench profile`).")
@stack_option
@results.results_option
def command(stack_mode: str, results_dir: Path, profile: bool, **chosen) -> None:
    """Orders/s: bare aiokafka loop, with transactions, the saga (one and two workers), Quix Streams."""
    from pipeline.bench import profile as profiling

    console = Console()
    options = options_from(**chosen)
    with bench_cluster(stack_mode, console) as settings:
        profiler = profiling.Sampler(options.work_dir) if profile else None
        record = run(settings, console, options, profiler.attach if profiler else None)
    if profiler is not None:
        record["results"]["profile"] = profiler.summary()
    path = results.save("throughput", record["settings"], record["results"], results_dir)
    show(record, console)
    if profiler is not None:
        profiling.show(record["results"]["profile"], console)
    console.print(f"written {path}")
