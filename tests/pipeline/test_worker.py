"""The worker keeps the log level it is given, and tunes the collector once started."""
from __future__ import annotations

import asyncio
import gc
import logging

import faust
import pytest

from pipeline.worker import GC_THRESHOLDS, Worker


@pytest.fixture
def worker():
    app = faust.App("orderflow-worker-test", broker="kafka://localhost:1")
    loop = asyncio.new_event_loop()
    yield Worker(app, loglevel="warn", loop=loop)
    loop.close()


@pytest.fixture
def root_logger():
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    root.addHandler(logging.NullHandler())
    yield root
    root.setLevel(level)
    root.handlers[:] = handlers


def test_warn_level_keeps_debug_records_off(worker, root_logger):
    root_logger.setLevel(logging.WARN)
    worker.on_setup_root_logger(root_logger, logging.WARN)
    assert root_logger.getEffectiveLevel() == logging.WARN
    assert not logging.getLogger("aiokafka").isEnabledFor(logging.DEBUG)


def test_startup_freezes_and_raises_collector_thresholds(worker, monkeypatch):
    thresholds = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    monkeypatch.setattr(faust.Worker, "on_startup_finished", lambda self: asyncio.sleep(0))
    try:
        worker.loop.run_until_complete(worker.on_startup_finished())
        assert gc.get_threshold() == GC_THRESHOLDS
        assert gc.get_freeze_count() >= frozen_before
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
