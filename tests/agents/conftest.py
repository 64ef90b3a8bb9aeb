"""A running saga worker against the session's stack, for the agents' tests."""
from __future__ import annotations

import pytest

from pipeline.serde import SchemaRegistry
from support.workers import WorkerProcess


@pytest.fixture(scope="session")
def registered(kafka_stack):
    """The session's registry (every schema is registered by ``kafka_stack``)."""
    return SchemaRegistry(kafka_stack.registry_url)


@pytest.fixture(scope="module")
def worker(kafka_stack, registered, tmp_path_factory):
    process = WorkerProcess(tmp_path_factory.mktemp("worker") / "data").start()
    try:
        yield process.wait_ready()
    finally:
        process.stop()
