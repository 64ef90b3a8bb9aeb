"""A saga worker on fresh state, with its seed events processed, for the latency and state benchmarks."""
from __future__ import annotations

import time
from pathlib import Path

from confluent_kafka import KafkaException
from rich.console import Console

from pipeline.app import APP_ID
from pipeline.bench.cluster import backlog
from pipeline.bench.processes import BenchProcess, saga_worker
from pipeline.bench.workload import progress_bar
from pipeline.settings import Settings
from pipeline.stack.ports import free_ports

#: input topic -> (its routed twin, written by the saga in transactions)
SEED_TOPICS = {"stock": "orderflow-stock", "deposits": "orderflow-deposits"}


def wait_processed(settings: Settings, worker: BenchProcess, console: Console, inputs: tuple[str, ...],
                   timeout: float) -> tuple[float, int]:
    """Block until the worker has processed everything in ``inputs`` (and their routed twins).

    Returns the seconds waited and the records still unprocessed then (0 unless
    ``timeout`` passed first). Progress is the saga group's committed offsets
    against the topics' end offsets.
    """
    topics = {**{name: 0 for name in inputs}, **{SEED_TOPICS[name]: 1 for name in inputs}}
    started = time.monotonic()
    with progress_bar(console) as bar:
        task = bar.add_task(f"worker processing {', '.join(inputs)}", total=None)
        while True:
            worker.sample()
            worker.check_alive()
            try:
                remaining, total = backlog(settings, APP_ID, topics)
            except (LookupError, KafkaException):  # topics the worker is still creating
                remaining, total = 1, 0
            bar.update(task, total=total, completed=total - remaining)
            waited = time.monotonic() - started
            if (remaining == 0 and total > 0) or waited > timeout:
                return waited, remaining
            time.sleep(1.0)


def start_worker(settings: Settings, data_dir: Path, loglevel: str = "warn") -> BenchProcess:
    """A saga worker with ``data_dir`` on a free web port."""
    return saga_worker(settings, data_dir, free_ports(1)[0], loglevel).start()
