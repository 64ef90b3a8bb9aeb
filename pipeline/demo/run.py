"""One demo run: cluster, schemas, seeds, a worker, orders, outcomes, summary.

Every run has its own id; its skus, users and orders carry it
(``demo-3f2a-sku-00042``, ``demo-3f2a-order-000042``), so a run only counts
its own outcomes and knows exactly what its skus and balances must end at,
however many runs the cluster has seen before.
"""
from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from rich.console import Console

from pipeline.admin import admin_client
from pipeline.cli.produce import progress_bar
from pipeline.demo.errors import DemoError
from pipeline.demo.lag import Lag, group_lag
from pipeline.demo.outcomes import OutcomeReader, Outcomes
from pipeline.demo.report import Summary, percentiles
from pipeline.demo.state import Expected, WorkerApi, expected_state
from pipeline.demo.worker import WorkerProcess, state_dir
from pipeline.generate import OrderGenerator, deposit_events, produce, sku_id, stock_events, user_id
from pipeline.models import OrderPlaced
from pipeline.serde import SchemaRegistry
from pipeline.serde.admin import register_all
from pipeline.settings import Settings
from pipeline.stack import Stack, StackError

#: seconds the worker may log nothing before it is deemed stuck (a long restore logs its progress)
WORKER_READY_TIMEOUT = 180.0
SEEDS_TIMEOUT = 120.0
SETTLE_TIMEOUT = 60.0
LAG_TIMEOUT = 30.0
DUPLICATE_WATCH = 2.0  # seconds to keep reading outcomes after the last one, for duplicates


@dataclass(frozen=True)
class DemoOptions:
    data_dir: Path
    web_port: int
    orders: int = 10_000
    users: int = 1000
    skus: int = 500
    stock: int = 300
    deposit: Decimal = Decimal("2000.00")
    seed: int = 42
    rate: float = 0.0
    timeout: float = 600.0

    @property
    def summary_path(self) -> Path:
        return self.data_dir / "demo-summary.json"


class Demo:
    def __init__(self, options: DemoOptions, console: Console) -> None:
        self.options = options
        self.console = console
        self.run_id = f"demo-{secrets.token_hex(2)}"
        self.namespace = f"{self.run_id}-"
        self.skus = [sku_id(n, self.namespace) for n in range(options.skus)]
        self.users = [user_id(n, self.namespace) for n in range(options.users)]
        self.stack: Stack | None = None

    # -- steps ----------------------------------------------------------------

    def cluster(self) -> Settings:
        """The configured cluster, or the local stack (started if it is not running)."""
        settings = Settings.from_env()
        if settings.external_cluster:
            self.console.print(f"cluster: {settings.bootstrap_servers} (KAFKA_BOOTSTRAP_SERVERS), "
                               f"registry {settings.registry_url}")
            return settings
        self.stack = Stack(console=self.console)
        try:
            with self.console.status(f"starting the local stack in {self.stack.dir} (first time: downloads)..."):
                self.stack.up()
        except StackError as error:
            raise DemoError(f"the local stack did not start: {error}") from error
        self.console.print(f"local stack up: kafka {self.stack.bootstrap_servers}, registry {self.stack.registry_url}")
        return replace(settings, bootstrap_servers=self.stack.bootstrap_servers, registry_url=self.stack.registry_url)

    def register(self, registry: SchemaRegistry) -> None:
        with self.console.status("registering the schemas..."):
            done = register_all(registry)
        self.console.print(f"schemas registered: {len(done)} versions in {len({r.subject for r in done})} subjects")

    def run(self) -> Summary:
        options = self.options
        settings = self.cluster()
        registry = SchemaRegistry(settings.registry_url)
        self.register(registry)
        cluster_id = admin_client(settings).list_topics(timeout=30).cluster_id
        worker = WorkerProcess(settings, state_dir(options.data_dir, cluster_id), options.web_port,
                               options.data_dir / "worker.log")
        worker.start()
        try:
            starting = f"starting a worker on port {options.web_port} (log: {worker.log_path})"
            with self.console.status(f"{starting}...") as status:
                worker.wait_ready(WORKER_READY_TIMEOUT, lambda remaining: status.update(
                    f"{starting}: restoring its tables, {remaining:,} changelog records to go..."))
            summary = asyncio.run(self.exercise(settings, registry, worker))
        finally:
            with self.console.status("stopping the worker..."):
                status = worker.stop()
        if status:
            self.console.print(f"[yellow]the worker exited with status {status}; log: {worker.log_path}")
        summary.write(options.summary_path)
        return summary

    async def exercise(self, settings: Settings, registry: SchemaRegistry, worker: WorkerProcess) -> Summary:
        options = self.options
        async with WorkerApi(worker.url) as api:
            await self.seed(settings, registry, api, worker)
            generator = OrderGenerator(options.users, options.skus, seed=options.seed,
                                       order_prefix=f"{self.namespace}order-", namespace=self.namespace)
            orders = generator.orders(options.orders)
            async with OutcomeReader(settings, f"{self.namespace}order-", registry) as reader:
                started = time.time()
                sent_seconds = await self.send(settings, registry, reader, orders, worker)
                confirmed = [o for o in orders if reader.outcomes.first[o.orderId].status == "CONFIRMED"]
                expected = expected_state(self.skus, self.users, options.stock, options.deposit, confirmed)
                differences = await self.settle(api, expected, worker)
                watch_until = time.monotonic() + DUPLICATE_WATCH
                outcomes = await reader.read(lambda: time.monotonic() > watch_until, check=worker.check)
            lag = await self.final_lag(settings, worker)
            inventory, balances = await self.showcase(api, orders, confirmed)
        return self.summarize(orders, generator, outcomes, started, sent_seconds, lag, differences, inventory,
                              balances)

    async def seed(self, settings: Settings, registry: SchemaRegistry, api: WorkerApi,
                   worker: WorkerProcess) -> None:
        """Stock every sku and fund every user, and wait until the worker's tables show it all."""
        options = self.options
        with progress_bar(self.console) as bar:
            for topic, records in (("stock", stock_events(options.skus, options.stock, namespace=self.namespace)),
                                   ("deposits", deposit_events(options.users, options.deposit,
                                                               namespace=self.namespace))):
                task = bar.add_task(f"seeding {topic}", total=len(records))
                await produce(settings, topic, records, registry=registry,
                              progress=lambda n, task=task: bar.advance(task, n))
            keys = options.skus + options.users
            task = bar.add_task("applied by the worker", total=keys)
            seeded = expected_state(self.skus, self.users, options.stock, options.deposit, [])
            left = await self.converge(api, seeded, worker, SEEDS_TIMEOUT,
                                       lambda n: bar.update(task, completed=keys - n))
        if left:
            key, (want, got) = next(iter(left.items()))
            raise DemoError(f"{len(left)} of the {keys} seeded skus/users are not in the worker's tables after "
                            f"{SEEDS_TIMEOUT:.0f} s (e.g. {key}: expected {want}, got {got}); "
                            f"worker log: {worker.log_path}")

    async def send(self, settings: Settings, registry: SchemaRegistry, reader: OutcomeReader,
                   orders: list[OrderPlaced], worker: WorkerProcess) -> float:
        """Send the orders while reading their outcomes; the seconds the sending took."""
        options = self.options
        with progress_bar(self.console) as bar:
            sending = bar.add_task("sending orders", total=len(orders))
            deciding = bar.add_task("outcomes (read_committed)", total=len(orders))
            reading = asyncio.create_task(reader.read(lambda: len(reader.outcomes.first) >= len(orders),
                                                      lambda n: bar.advance(deciding, n), worker.check))
            try:
                produced = await produce(settings, "orders", orders, rate=options.rate, registry=registry,
                                         progress=lambda n: bar.advance(sending, n))
                await asyncio.wait_for(asyncio.shield(reading), options.timeout)
            except asyncio.TimeoutError:
                missing = [o.orderId for o in orders if o.orderId not in reader.outcomes.first]
                raise DemoError(
                    f"{len(missing):,} of {len(orders):,} orders have no outcome on order-outcomes "
                    f"{options.timeout:.0f} s after the last was sent (e.g. {', '.join(missing[:3])}); "
                    f"worker log: {worker.log_path}") from None
            finally:
                reading.cancel()
        return produced.seconds

    async def settle(self, api: WorkerApi, expected: Expected, worker: WorkerProcess) -> dict[str, list]:
        """Wait for the last releases and commits; the skus/users still not as expected after that."""
        with self.console.status("waiting for the last stock commits and releases..."):
            left = await self.converge(api, expected, worker, SETTLE_TIMEOUT)
        return {key: list(pair) for key, pair in left.items()}

    async def final_lag(self, settings: Settings, worker: WorkerProcess) -> Lag:
        """The group's lag once it has committed all it processed, or as it is after ``LAG_TIMEOUT``.

        Table reads show a change as soon as it is processed; its offset commits later.
        """
        deadline = time.monotonic() + LAG_TIMEOUT
        with self.console.status("waiting for the consumer group to commit its offsets..."):
            while (lag := await asyncio.to_thread(group_lag, settings)).records and time.monotonic() < deadline:
                worker.check()
                await asyncio.sleep(1.0)
        return lag

    @staticmethod
    async def converge(api: WorkerApi, expected: Expected, worker: WorkerProcess, timeout: float,
                       progress: Callable[[int], None] = lambda left: None) -> dict[str, tuple]:
        """Poll the worker until its state is ``expected`` or ``timeout`` passes; what still differs."""
        deadline = time.monotonic() + timeout
        while (differences := await api.differences(expected)) and time.monotonic() < deadline:
            progress(len(differences))
            worker.check()
            await asyncio.sleep(0.5)
        progress(len(differences))
        return differences

    async def showcase(self, api: WorkerApi, orders: list[OrderPlaced], confirmed: list[OrderPlaced],
                       rows: int = 5) -> tuple[list[dict], list[dict]]:
        """A few rows of the worker's answers: the most ordered skus and the busiest users."""
        units = Counter(item.sku for order in orders for item in order.items)
        buyers = Counter(order.userId for order in orders)
        skus = [sku for sku, _ in units.most_common(rows)]
        users = [user for user, _ in buyers.most_common(rows)]
        stock = await api.inventory(skus)
        money = await api.balances(users)
        per_user = Counter(order.userId for order in confirmed)
        inventory = [{"sku": sku, **(stock[sku] if isinstance(stock[sku], dict)
                                     else dict.fromkeys(("available", "reserved", "sold"), stock[sku] or "404")),
                      "stocked": self.options.stock} for sku in skus]
        balances = [{"userId": user, "balance": "404" if money[user] is None else money[user],
                     "deposited": self.options.deposit,
                     "confirmed orders": per_user[user]} for user in users]
        return inventory, balances

    def summarize(self, orders: list[OrderPlaced], generator: OrderGenerator, outcomes: Outcomes, started: float,
                  sent_seconds: float, lag: Lag, differences: dict, inventory: list[dict],
                  balances: list[dict]) -> Summary:
        placed_ms = {order.orderId: order.occurredAt.timestamp() * 1000 for order in orders}
        latencies = [outcome.occurred_at_ms - placed_ms[order_id] for order_id, outcome in outcomes.first.items()]
        kinds = Counter(o.reason or o.status for o in outcomes.first.values())
        examples = {}
        for order_id, outcome in outcomes.first.items():
            examples.setdefault(outcome.reason or outcome.status, order_id)
        return Summary(
            run_id=self.run_id, orders=len(orders), users=self.options.users, skus=self.options.skus,
            confirmed=kinds.pop("CONFIRMED", 0), rejected=dict(kinds), duplicates=outcomes.duplicates,
            written=dict(generator.kinds),
            send_seconds=sent_seconds, decide_seconds=(outcomes.last_read or started) - started,
            latency_ms=percentiles(latencies), lag=lag, state_differences=differences,
            inventory=inventory, balances=balances, example_orders=examples,
            worker_log=str(self.options.data_dir / "worker.log"), web_url=f"http://localhost:{self.options.web_port}",
        )
