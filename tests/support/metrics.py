"""Read a worker's ``/metrics`` and wait for conditions on it."""
from __future__ import annotations

import json
import time
import urllib.request
from typing import Callable, TypeVar

from prometheus_client.parser import text_string_to_metric_families

from pipeline.metrics.lag import LagReader

T = TypeVar("T")


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def scrape(url: str) -> tuple[str, dict[str, list]]:
    """The Content-Type of ``url``/metrics, and its samples by family name and by sample name."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=30) as response:
        content_type, text = response.headers["Content-Type"], response.read().decode()
    found: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        found.setdefault(family.name, []).extend(family.samples)
        for sample in family.samples:
            found.setdefault(sample.name, []).append(sample)
    return content_type, found


def value(found: dict, name: str, **labels) -> float:
    """The sum of the ``name`` samples whose labels include ``labels``."""
    return sum(s.value for s in found.get(name, []) if s.name == name
               and all(s.labels.get(k) == v for k, v in labels.items()))


def consumer_lag(url: str) -> dict[tuple[str, int], float]:
    """``orderflow_consumer_lag`` of the worker at ``url``, by (topic, partition)."""
    _, found = scrape(url)
    return {(s.labels["topic"], int(s.labels["partition"])): s.value
            for s in found.get("orderflow_consumer_lag", [])}


def wait_until(check: Callable[[], T], what: str, timeout: float = 180.0, every: float = 1.0) -> T:
    """Poll ``check`` until it returns something truthy, and return that."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not after {timeout:.0f} s (last: {result!r})")
        time.sleep(every)


def caught_up(url: str) -> bool:
    """The worker reports a lag reading, and it is 0 on every partition of the group."""
    lag = consumer_lag(url)
    return bool(lag) and not any(lag.values())


def group_caught_up(bootstrap_servers: str, group: str = "orderflow") -> bool:
    """The group has no lag on the broker now. A routing agent commits its input offset and its
    output in one transaction, so a record still in flight is always lag somewhere."""
    reader = LagReader(bootstrap_servers)
    try:
        rows = reader.read(group)
    finally:
        reader.close()
    return bool(rows) and not any(row.lag for row in rows)
