"""The events of an internal stream, one by one.

The saga's commands and replies arrive in bundles (:mod:`pipeline.serde.bundle`):
one record, one Faust event, several saga events, all processed within that
one Faust event, so their table writes and sends join its transaction.
Undecodable ones go to the internal dead-letter topic, the others are yielded
in order.
"""
from __future__ import annotations

from typing import Any, AsyncIterator

from agents.dead_letters import dead_letter
from pipeline.serde import Poison
from pipeline.serde.bundle import Bundle


async def internal_values(stream: Any) -> AsyncIterator[Any]:
    """The decoded events of ``stream``'s records, bundles opened, poison dead-lettered."""
    async for value in stream:
        if isinstance(value, Bundle):
            async for event in value:
                if isinstance(event, Poison):
                    await dead_letter(event)
                else:
                    yield event
        elif isinstance(value, Poison):
            await dead_letter(value)
        else:
            yield value
