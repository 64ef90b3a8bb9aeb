"""Table sizes are counted again only once the last count's cost has been paid back."""
from __future__ import annotations

from types import SimpleNamespace

from pipeline.metrics.collectors import TableSizeCollector


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Store:
    """A store of ``keys`` keys whose count takes ``cost`` seconds of ``clock``."""

    def __init__(self, clock: Clock, keys: int, cost: float) -> None:
        self.clock, self.keys, self.cost = clock, keys, cost

    def __len__(self) -> int:
        self.clock.now += self.cost
        return self.keys


def collector(store: Store, clock: Clock) -> TableSizeCollector:
    table = SimpleNamespace(changelog_topic=SimpleNamespace(get_topic_name=lambda: "orders-changelog"), data=store)
    app = SimpleNamespace(assignor=SimpleNamespace(assigned_actives=set), tables={"orders": table})
    return TableSizeCollector(app, share=0.01, clock=clock)


async def test_a_count_that_took_two_seconds_waits_two_hundred() -> None:
    clock = Clock()
    store = Store(clock, keys=42, cost=2.0)
    sizes = collector(store, clock)
    await sizes.refresh()
    assert sizes.sizes == {"orders": 42}
    store.keys = 43
    clock.now = 150.0
    await sizes.refresh()
    assert sizes.sizes == {"orders": 42}, "counted again before its cost was paid back"
    clock.now = 202.0
    await sizes.refresh()
    assert sizes.sizes == {"orders": 43}


async def test_cheap_counts_follow_every_tick() -> None:
    clock = Clock()
    store = Store(clock, keys=1, cost=0.0)
    sizes = collector(store, clock)
    for keys in (1, 2, 3):
        store.keys = keys
        await sizes.refresh()
        assert sizes.sizes == {"orders": keys}
