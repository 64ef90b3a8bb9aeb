"""Route each input event to the partition that owns its key.

Other services write ``orders``, ``stock`` and ``deposits`` with whatever
partitioner their client has (librdkafka's differs from Java's). These agents
check that every message decodes, dead-letter the ones that do not, and
forward the unchanged bytes to an internal topic keyed by the table key, so
that co-partitioning holds whatever the producers did.
"""
from __future__ import annotations

from agents import topics
from agents.dead_letters import dead_letter
from pipeline.app import app
from pipeline.serde import Poison

#: input topic -> the record field its table is keyed by
KEYS = {"orders": "orderId", "stock": "sku", "deposits": "userId"}


def _router(source, key_field: str, target):
    async def route(stream):
        async for event in stream.events():
            value = event.value
            if isinstance(value, Poison):
                await dead_letter(value)
                continue
            await target.send(key=getattr(value, key_field), value=event.message.value)

    route.__name__ = f"route_{source.get_topic_name()}"
    return app.agent(source, name=f"agents.ingest.{route.__name__}")(route)


route_orders = _router(topics.orders, KEYS["orders"], topics.routed["orders"])
route_stock = _router(topics.stock, KEYS["stock"], topics.routed["stock"])
route_deposits = _router(topics.deposits, KEYS["deposits"], topics.routed["deposits"])
