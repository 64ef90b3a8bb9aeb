"""A running saga worker against the session's stack, for the agents' tests."""
from __future__ import annotations

import pytest

from pipeline.serde import SchemaRegistry, schemas
from support.workers import WorkerProcess


@pytest.fixture(scope="session")
def registered(kafka_stack):
    """``orders-value`` holds OrderPlaced v1 then v2, as in production."""
    registry = SchemaRegistry(kafka_stack.registry_url)
    for version in schemas.versions("OrderPlaced"):
        registry.register("orders-value", version)
    return registry


@pytest.fixture(scope="module")
def worker(kafka_stack, registered, tmp_path_factory):
    process = WorkerProcess(tmp_path_factory.mktemp("worker") / "data").start()
    try:
        yield process.wait_ready()
    finally:
        process.stop()
