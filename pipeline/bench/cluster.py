"""The Kafka cluster a benchmark runs on, and resetting it between runs.

The saga's topic names are fixed (``orders``, ``orderflow-*``, ``order-outcomes``),
so a run with fresh saga state needs those topics deleted, not renamed. That is
why a benchmark runs on a private stack of its own by default (started on free
ports in the cache directory, purged afterwards); ``--stack env`` runs it on
the cluster of ``KAFKA_BOOTSTRAP_SERVERS`` instead, whose saga topics it
deletes before each run and empties again at the end.
"""
from __future__ import annotations

import signal
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import click
from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient
from platformdirs import user_cache_dir
from rich.console import Console

from pipeline.admin import ensure_topics
from pipeline.app import APP_ID
from pipeline.settings import Settings
from pipeline.stack import Stack

#: where the private stack lives while a benchmark runs
STACK_DIR = Path(user_cache_dir("orderflow")) / "bench-stack"
INPUTS = ("orders", "stock", "deposits")
SAGA_OUTPUT = "order-outcomes"

stack_option = click.option(
    "--stack", "stack_mode", type=click.Choice(["private", "env"]), default="private", show_default=True,
    help="'private': start a stack of its own on free ports and purge it afterwards; "
         "'env': use KAFKA_BOOTSTRAP_SERVERS / SCHEMA_REGISTRY_URL (its saga topics and their data are deleted!).")


@contextmanager
def bench_cluster(mode: str, console: Console) -> Iterator[Settings]:
    """Settings pointing at the cluster to benchmark on, for the duration of the block.

    SIGTERM becomes SystemExit meanwhile, so that a benchmark stopped by its pid
    still stops the processes it started and the private stack (Python's
    default SIGTERM ends it with no cleanup, and SIGINT is ignored in a
    background job).
    """
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    if mode == "env":
        settings = Settings.from_env()
        try:
            yield settings
        finally:
            reset_saga(settings, inputs=True)  # leave no benchmark orders or state behind
        return
    stack = Stack.on_free_ports(STACK_DIR, console=console)
    try:
        with console.status(f"starting a private Kafka + registry in {STACK_DIR}..."):
            stack.up()
        yield replace(Settings.from_env(), bootstrap_servers=stack.bootstrap_servers,
                      registry_url=stack.registry_url)
    finally:
        with console.status("stopping the private stack..."):
            stack.down(purge=True)


def _exit_on_sigterm(signum, frame) -> None:
    raise SystemExit(128 + signum)


def _admin(settings: Settings) -> AdminClient:
    # log_level 3: librdkafka's info lines (queue purges at close) are noise in a report
    return AdminClient({"bootstrap.servers": settings.bootstrap_servers, "log_level": 3})


def existing_topics(settings: Settings) -> set[str]:
    return set(_admin(settings).list_topics(timeout=30).topics)


def delete_topics(settings: Settings, names: Iterable[str], timeout: float = 60.0) -> None:
    """Delete the topics of ``names`` that exist, and wait until the broker no longer lists them."""
    admin = _admin(settings)
    doomed = sorted(set(names) & set(admin.list_topics(timeout=30).topics))
    if not doomed:
        return
    for name, future in admin.delete_topics(doomed, operation_timeout=timeout).items():
        try:
            future.result(timeout)
        except KafkaException as exc:
            if exc.args[0].code() != exc.args[0].UNKNOWN_TOPIC_OR_PART:
                raise RuntimeError(f"cannot delete topic {name!r}: {exc.args[0].str()}") from exc
    deadline = time.monotonic() + timeout
    while set(doomed) & set(admin.list_topics(timeout=30).topics):
        if time.monotonic() > deadline:
            raise TimeoutError(f"topics still listed {timeout:.0f} s after deletion: {doomed}")
        time.sleep(0.2)


def create_topics(settings: Settings, names: Iterable[str], timeout: float = 60.0) -> None:
    """Create ``names`` (retrying while a just-deleted namesake is still being removed)."""
    names = list(names)
    deadline = time.monotonic() + timeout
    while True:
        try:
            ensure_topics(settings, names)
            break
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    admin = _admin(settings)
    while not all(_led(admin, name) for name in names):  # else the first sends bounce off NOT_LEADER
        if time.monotonic() > deadline:
            raise TimeoutError(f"topics {names} have partitions without a leader after {timeout:.0f} s")
        time.sleep(0.2)


def _led(admin: AdminClient, topic: str) -> bool:
    found = admin.list_topics(topic, timeout=30).topics.get(topic)
    return (found is not None and found.error is None and bool(found.partitions)
            and all(p.leader >= 0 for p in found.partitions.values()))


def delete_groups(settings: Settings, groups: Iterable[str], timeout: float = 30.0) -> None:
    """Delete consumer groups (and their committed offsets); unknown groups are fine.

    A group whose last member was killed keeps it until its session times out
    (``ORDERFLOW_SESSION_TIMEOUT``, 10 s for a worker): such a group is tried
    again until ``timeout``.
    """
    pending = list(groups)
    admin = _admin(settings)  # kept referenced: its futures never resolve once it is collected
    deadline = time.monotonic() + timeout
    while pending:
        not_empty = []
        for group, future in admin.delete_consumer_groups(pending, request_timeout=timeout).items():
            try:
                future.result(timeout)
            except KafkaException as exc:
                error = exc.args[0]
                if error.code() == error.NON_EMPTY_GROUP and time.monotonic() < deadline:
                    not_empty.append(group)
                elif error.code() not in (error.GROUP_ID_NOT_FOUND, error.NOT_COORDINATOR):
                    raise RuntimeError(f"cannot delete consumer group {group!r}: {error.str()}") from exc
        pending = not_empty
        if pending:
            time.sleep(1.0)


def saga_topics(settings: Settings) -> set[str]:
    """Every topic the saga writes: internal topics, changelogs, outcomes and dead letters."""
    return {name for name in existing_topics(settings)
            if name.startswith(f"{APP_ID}-") or name == SAGA_OUTPUT or name.endswith(".dlq")}


def reset_saga(settings: Settings, inputs: bool = False) -> None:
    """Forget all saga state: its internal topics, changelogs, outcomes, dead letters and offsets.

    With ``inputs`` the input topics go too, so the next run reads only what is produced next.
    Run it only while no worker runs.
    """
    topics = saga_topics(settings)
    if inputs:
        topics.update(INPUTS)
    delete_groups(settings, [APP_ID])
    delete_topics(settings, topics)
    create_topics(settings, [*INPUTS, SAGA_OUTPUT])


def partitions_of(consumer: Consumer, topic: str) -> list[int]:
    metadata = consumer.list_topics(topic, timeout=30).topics[topic]
    if metadata.error is not None:
        raise LookupError(f"topic {topic!r}: {metadata.error.str()}")
    return sorted(metadata.partitions)


def backlog(settings: Settings, group: str, topics: dict[str, int]) -> tuple[int, int]:
    """(records ``group`` has yet to process, records in all) over every partition of ``topics``.

    ``topics`` maps each topic to its slack: 0 for a topic written without
    transactions, 1 for one written transactionally, where each transaction
    ends with a commit marker that takes an offset but is never processed:
    a partition whose committed offset is one short of its end is caught up.
    """
    consumer = Consumer({"bootstrap.servers": settings.bootstrap_servers, "group.id": group,
                         "enable.auto.commit": False})
    try:
        tps = [TopicPartition(topic, p) for topic in topics for p in partitions_of(consumer, topic)]
        remaining = total = 0
        for tp in consumer.committed(tps, timeout=30):
            end = consumer.get_watermark_offsets(tp, timeout=30, cached=False)[1]
            total += end
            remaining += max(0, end - topics[tp.topic] - max(tp.offset, 0))
        return remaining, total
    finally:
        consumer.close()
