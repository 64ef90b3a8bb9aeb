"""Recovery's end-of-changelog check between fetches, when a rebalance revokes a partition under it."""
from __future__ import annotations

from types import SimpleNamespace

from aiokafka.errors import IllegalStateError
from faust.types import TP

from pipeline.eos.recovery import Recovery

CHANGELOG = TP("orderflow-inventory-ledger-changelog", 1)


class RevokedConsumer:
    """A consumer whose partition was revoked after its last fetch."""

    async def fetch_position(self, tp: TP) -> int:
        raise IllegalStateError(f"Partition {tp} is not assigned")


class PositionedConsumer:
    """A consumer that has fetched past the changelog's last record, with nothing left queued."""

    async def fetch_position(self, tp: TP) -> int:
        return 11

    def last_delivered(self, tp: TP) -> None:
        return None


def restoring(ended: list) -> SimpleNamespace:
    """The state ``Recovery.on_fetched`` reads: one changelog partition still behind."""
    recovery = SimpleNamespace(
        app=SimpleNamespace(consumer_generation_id=3),
        restoring=True,
        active_highwaters={CHANGELOG: 10},
        active_offsets={CHANGELOG: 4},
        flush_buffers=lambda: None,
        _set_recovery_ended=lambda: ended.append(True),
        signal_recovery_end=SimpleNamespace(set=lambda: None),
    )
    recovery.active_remaining = lambda: {tp: recovery.active_highwaters[tp] - recovery.active_offsets[tp]
                                         for tp in recovery.active_highwaters}
    recovery.need_recovery = lambda: any(left > 0 for left in recovery.active_remaining().values())
    return recovery


async def test_a_partition_revoked_since_the_fetch_leaves_recovery_to_the_rebalance() -> None:
    ended: list = []
    recovery = restoring(ended)
    await Recovery.on_fetched(recovery, RevokedConsumer())  # no IllegalStateError: the worker lives
    assert recovery.restoring and not ended
    assert recovery.active_highwaters[CHANGELOG] == 10


async def test_a_partition_fetched_past_its_end_ends_recovery() -> None:
    ended: list = []
    recovery = restoring(ended)
    await Recovery.on_fetched(recovery, PositionedConsumer())
    assert recovery.active_highwaters[CHANGELOG] == 4  # the rest were transaction markers
    assert ended == [True]
