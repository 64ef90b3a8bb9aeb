"""A stream whose acknowledgements all go through the consumer.

Faust's compiled stream iterator acknowledges events by writing the
consumer's ack bookkeeping directly, including the events it *skips*: those
of an old consumer generation after a rebalance, and all of them while the
flow is suspended. An acknowledged offset gets committed, so a skipped event
whose effects were never produced is lost (upstream faust-streaming #323,
#502). The pure-Python iterator acknowledges through ``Consumer.ack``, where
:class:`pipeline.eos.transport.Consumer` refuses those acknowledgements.
"""
from __future__ import annotations

from typing import Any, AsyncIterator

import faust


class Stream(faust.Stream):
    def __aiter__(self) -> AsyncIterator[Any]:
        iterator = self._py_aiter()
        self._active_agens.add(iterator)
        return iterator
