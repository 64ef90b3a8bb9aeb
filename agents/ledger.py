"""Per-context ledgers that make every state transition idempotent.

Exactly-once processing keeps a table write, its outputs and its input
offset in one transaction, but an event can still be *delivered* twice to
the same agent (seen after a restart: a message whose offset had been
committed was handed to the stream once more), and a delivery like that
would reserve or charge twice. So each context keeps a ledger in the same
transaction as its state: what was done for which order and which input
event. A command that finds its transition already made changes nothing and
repeats its original reply (whose eventId is derived, hence identical), and
the order's own state ignores a reply it has already counted.
"""
from __future__ import annotations

from pipeline.app import app


def ledger(name: str):
    """A table of ``key -> short state code``, co-partitioned with its context."""
    return app.Table(
        name, key_type=str, value_type=None,
        key_serializer="raw", value_serializer="raw", default=None,
    )
