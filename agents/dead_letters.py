"""Dead-lettering: undecodable input goes to ``<topic>.dlq``, bytes unchanged.

The headers say why and where from (contract: ``dlq.reason``, ``dlq.error``,
``dlq.source.topic``, ``dlq.source.partition``, ``dlq.source.offset``). The
send is attached to the poisoned event like any output, so the dead letter
and the input offset commit together: nothing is lost, nothing blocks.
"""
from __future__ import annotations

from agents import topics
from pipeline.metrics import count_dead_letter
from pipeline.serde import Poison


def headers_for(poison: Poison) -> list[tuple[str, bytes]]:
    return [
        ("dlq.reason", poison.error.reason.encode()),
        ("dlq.error", str(poison.error).encode()),
        ("dlq.source.topic", poison.topic.encode()),
        ("dlq.source.partition", str(poison.partition).encode()),
        ("dlq.source.offset", str(poison.offset).encode()),
    ]


async def dead_letter(poison: Poison) -> None:
    """Send ``poison`` to its input's ``.dlq`` (internal topics share one)."""
    target = topics.dead_letters.get(poison.topic, topics.internal_dead_letters)
    count_dead_letter(poison.topic, poison.error.reason)
    await target.send(
        key=poison.key, value=poison.value, headers=headers_for(poison)
    )
