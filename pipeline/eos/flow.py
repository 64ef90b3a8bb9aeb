"""Flow control that empties the stream buffers only when the flow starts again.

Faust's ``app.flow_control`` (``mode``'s ``FlowControlEvent``) empties every
stream buffer at each ``resume()``, so that events fetched before a
rebalance are not processed after it. But a recovery resumes the flow two or
three times: to read the changelogs, then once more after seeking the stream
partitions to their committed offsets (``faust/tables/recovery.py``,
``on_recovery_completed``), and by then the stream partitions are being
fetched again. Events of the new generation already in the buffers were
thrown away unprocessed; their offsets were never acknowledged, so the
commit of their partition stopped there for good, while the worker went on
processing the events behind them (upstream faust-streaming #596). Caught in
two-worker benchmark runs: 10 events of an ``orders`` partition handed over
6 ms before the last ``resume()``, never taken by their stream.

Here ``resume()`` empties the buffers only when the flow was suspended: what
they hold then is from before the rebalance.
"""
from __future__ import annotations

from mode.utils.queues import FlowControlEvent


class FlowControl(FlowControlEvent):
    """:class:`FlowControlEvent` whose ``resume()`` keeps the buffers of a flow already running."""

    def resume(self) -> None:
        if self.is_active():
            return
        super().resume()
