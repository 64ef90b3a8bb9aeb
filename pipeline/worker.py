"""The Faust worker that runs the saga's app (see ``orderflow worker``)."""
from __future__ import annotations

import gc
import logging

import faust
from mode import Service

from pipeline import malloc

#: Generation thresholds of the garbage collector in a running worker
#: (Python's default is 700, 10, 10).
GC_THRESHOLDS = (20_000, 20, 20)
#: Seconds between two returns of the C heap's free memory to the system.
TRIM_INTERVAL = 60.0


class Worker(faust.Worker):
    """A Faust worker that keeps the log level asked for and collects less garbage.

    With a level of WARN or above, Faust's terminal spinner sets the root
    logger to DEBUG so that every record turns it (upstream faust-streaming
    #495): every ``log.debug`` call of Faust and aiokafka then builds a
    record that is thrown away, about 8% of a busy worker's CPU. The spinner
    goes; the level stays what ``--loglevel`` says.

    Once started, the worker's long-lived objects are frozen and the
    collector runs less often: its passes took ~10% of a busy worker's time.

    Every :data:`TRIM_INTERVAL` seconds the C heap's free pages go back to
    the system (:mod:`pipeline.malloc`).
    """

    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        self.spinner = None
        super().on_setup_root_logger(logger, level)

    async def on_startup_finished(self) -> None:
        await super().on_startup_finished()
        # Everything built while starting (modules, the app, its topics,
        # tables and clients) lives as long as the worker: out of the
        # collector's sight, a full collection no longer walks it. Events
        # are freed by reference counting; the collector only looks for
        # cycles, so it need not run every 700 allocations.
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)

    @Service.timer(TRIM_INTERVAL)
    async def _trim_memory(self) -> None:
        malloc.trim()
