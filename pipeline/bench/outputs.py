"""Reading a contender's output the way a downstream service would: ``read_committed``.

An output counts from the moment it is readable by such a consumer, not when
it was written: under exactly-once, outputs only become visible when their
transaction commits, and that wait is part of the price of the guarantee.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from pipeline.bench.cluster import partitions_of
from pipeline.bench.processes import BenchProcess
from pipeline.serde import SchemaRegistry
from pipeline.settings import Settings


class OutputWatcher(threading.Thread):
    """Reads ``topic`` from the beginning in a thread; notes when each distinct key is first read.

    librdkafka does the fetching in its own threads and releases the GIL while
    it waits, so this costs the measured processes (and the sender of the
    latency benchmark) little.
    """

    def __init__(self, settings: Settings, topic: str) -> None:
        super().__init__(name=f"watch {topic}", daemon=True)
        self.settings = settings
        self.topic = topic
        #: key -> wall-clock time (s) it was first read
        self.read_at: dict[bytes, float] = {}
        #: key -> the value first read with it
        self.values: dict[bytes, bytes] = {}
        #: every message read, so that duplicates (messages - distinct keys) show
        self.messages = 0
        self.last_new = time.monotonic()
        self._stop_event = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def run(self) -> None:
        consumer = Consumer({
            "bootstrap.servers": self.settings.bootstrap_servers,
            "group.id": f"bench-watch-{self.topic}",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 20,
        })
        try:
            consumer.assign([TopicPartition(self.topic, p, OFFSET_BEGINNING)
                             for p in partitions_of(consumer, self.topic)])
            self._ready.set()
            while not self._stop_event.is_set():
                for message in consumer.consume(1000, timeout=0.1):
                    if message.error() is not None:
                        continue
                    self.messages += 1
                    key = message.key()
                    if key not in self.read_at:
                        self.read_at[key] = time.time()
                        self.values[key] = message.value()
                        self.last_new = time.monotonic()
        except BaseException as exc:  # reported to the waiting thread
            self._error = exc
            self._ready.set()
        finally:
            consumer.close()

    def start(self) -> "OutputWatcher":
        super().start()
        self._ready.wait(60)
        self._raise()
        return self

    def _raise(self) -> None:
        if self._error is not None:
            raise RuntimeError(f"reading {self.topic!r}: {self._error}") from self._error

    def stop(self) -> None:
        self._stop_event.set()
        self.join(30)

    @property
    def count(self) -> int:
        return len(self.read_at)

    def wait_for(self, expected: int, *, stall: float, process: BenchProcess | None = None,
                 progress: Callable[[int], None] | None = None, deadline: float | None = None) -> bool:
        """Block until ``expected`` distinct keys were read; True if they were.

        Raises if ``process`` dies or nothing new is read for ``stall`` s; returns
        False when the monotonic ``deadline`` passes first.
        """
        while self.count < expected:
            self._raise()
            if process is not None:
                process.sample()
                process.check_alive()
            now = time.monotonic()
            if now - self.last_new > stall:
                raise TimeoutError(f"{self.topic!r}: no new output for {stall:.0f} s, "
                                   f"{self.count:,} of {expected:,} read")
            if deadline is not None and now > deadline:
                return False
            if progress is not None:
                progress(self.count)
            time.sleep(0.05)
        if progress is not None:
            progress(self.count)
        return True

    def last_read(self) -> float:
        """Wall-clock time of the last new key."""
        return max(self.read_at.values())

    def first_read(self) -> float:
        return min(self.read_at.values())

    def outcomes(self, registry: SchemaRegistry) -> Counter[str]:
        """How many outcomes of each kind were read: CONFIRMED, or REJECTED:<reason>."""
        decoder = registry.deserializer("OrderOutcome")
        kinds: Counter[str] = Counter()
        for value in self.values.values():
            outcome = decoder.decode(value, self.topic)
            kinds[outcome["status"] if outcome["reason"] is None else f"{outcome['status']}:{outcome['reason']}"] += 1
        return kinds
