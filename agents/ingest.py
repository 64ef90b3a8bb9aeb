"""Input events: taken where they arrive if that partition owns their key, routed otherwise.

Other services write ``orders``, ``stock`` and ``deposits`` with whatever
partitioner their client has (librdkafka's differs from Java's), while a
table key may only be updated on the partition that owns it. The agent of
each input's table therefore consumes the input and its routed twin
(``orderflow-orders`` and so on, keyed by the table key), and
:func:`local_events` gives it the events to process here:

* undecodable input goes to its ``.dlq``;
* an input event already on the partition of the twin that owns its key,
  with the input co-partitioned with the twin, is processed where it is.
  That is every event of a producer with Kafka's default partitioner
  (murmur2: Java's, aiokafka's) on an input with as many partitions as the
  saga's topics, since Faust assigns partition *p* of all topics with one
  partition count to one worker (its assignor's groups, as for the
  transactional ids);
* any other input event is forwarded, bytes unchanged, to the twin
  partition that owns its key, and processed from there.

Routing every event cost an order one more record produced, one more
consumed and decoded, and one more commit round before its first step.
"""
from __future__ import annotations

from typing import Any, AsyncIterator, Optional

from faust.types import EventT, Message

from agents import topics
from agents.dead_letters import dead_letter
from pipeline.app import app
from pipeline.serde import Poison

#: input topic -> (the record field its table is keyed by, its routed twin, the twin's name)
ROUTES = {
    name: (model.key_field, topics.routed[name], topics.routed[name].get_topic_name())
    for name, model in topics.INPUTS.items()
}


def processed_here(message: Message, twin: str, partition: Optional[int]) -> bool:
    """Whether input ``message`` may be processed where it is.

    It may if it is on ``partition``, the partition of ``twin`` that owns its
    key, and the input is co-partitioned with ``twin`` (one group of Faust's
    assignor), so that the worker holding it holds that partition of the
    tables too; Faust writes a table's changelog to the partition of the
    event that changed it.
    """
    if partition != message.partition:
        return False
    assignor = app.assignor
    try:
        return assignor.group_for_topic(message.topic) == assignor.group_for_topic(twin)
    except KeyError:  # not (yet) in an assignment: route
        return False


async def local_events(stream: Any) -> AsyncIterator[EventT]:
    """The events of an input-and-twin ``stream`` that this worker processes."""
    async for event in stream.events():
        value = event.value
        if isinstance(value, Poison):
            await dead_letter(value)
            continue
        message = event.message
        route = ROUTES.get(message.topic)
        if route is not None:
            field, target, twin = route
            key = getattr(value, field)
            partition = app.consumer.key_partition(twin, key.encode())  # None without metadata
            if not processed_here(message, twin, partition):
                await target.send(key=key, value=message.value, partition=partition)
                continue
        yield event
