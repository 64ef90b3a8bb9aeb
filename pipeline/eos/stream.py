"""A Faust stream whose acknowledgements all pass through the consumer.

Faust's compiled stream iterator (``faust._cython.streams``, used whenever
it is importable, whatever ``cython_optimizations`` says) acknowledges an
event by writing the consumer's ``_acked`` lists itself, bypassing
``Consumer.ack``. Events it skipped unprocessed (flow suspended by a
rebalance, or an older consumer generation) then count as done, and their
offsets get committed: those events are lost (upstream faust-streaming
#502, #517). The pure-Python iterator acknowledges through
``Consumer.ack``, where :class:`pipeline.eos.transport.Consumer` refuses
such acknowledgements.
"""
from __future__ import annotations

from typing import Any, AsyncIterator

import faust


class Stream(faust.Stream):
    """:class:`faust.Stream`, always iterated by its pure-Python iterator."""

    def __aiter__(self) -> AsyncIterator[Any]:
        iterator = self._py_aiter()
        # Tracked like Faust's own, so that stopping the stream closes it.
        self._active_agens.add(iterator)
        return iterator
