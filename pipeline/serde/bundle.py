"""Bundles: several events of one transaction in one Kafka record.

Every record a Faust agent consumes costs the same plumbing whatever it
carries: Faust's message and event objects, the conductor's hand-off, the
stream's sensors and acknowledgement, the commit's offset bookkeeping, and a
record in a produce and a fetch. A saga order sends ~8 commands and replies
between its agents, so on internal topics the events that one transaction
writes to one partition in one commit round travel as one record, a bundle.

Each event in a bundle keeps its own key and its own value, in the Confluent
wire format with its schema id, exactly as it would be sent alone; the
bundle only frames them: ``[key length][key][value length][value]`` per
event, lengths 4-byte big-endian, a key of length ``0xFFFFFFFF`` meaning
none. The record's header :data:`HEADER` (the format version) marks it; a
record without it is one event, so records written one by one still read.
"""
from __future__ import annotations

import struct
from typing import Any, AsyncIterator, Awaitable, Callable, Iterable, Iterator, Optional

from pipeline.serde.errors import NotWireFormatError

#: The header that marks a bundle record; its value is the format version.
HEADER = "orderflow.bundle"
VERSION = b"1"

#: What a bundle's decode function returns to end the bundle: the work of its record is being abandoned.
ABANDONED = object()

_LENGTH = struct.Struct(">I")
_NO_KEY = 0xFFFFFFFF


class Bundle:
    """The events of one bundle record, each cut out and decoded (a model, or Poison) as it is taken.

    A worker's stream buffers hold records; a buffer of bundles holds their
    bytes, not up to :data:`pipeline.eos.batches.MAX_BUNDLE_EVENTS` decoded
    events (or even byte strings) per record. The framing was checked when
    the bundle was made (:func:`count`). Iteration ends early where the
    decode function returns :data:`ABANDONED`.
    """

    __slots__ = ("data", "size", "_decode")

    def __init__(self, data: bytes, size: int, decode: Callable[[Optional[bytes], bytes], Awaitable[Any]]) -> None:
        self.data = data
        self.size = size
        self._decode = decode

    def __len__(self) -> int:
        return self.size

    async def __aiter__(self) -> AsyncIterator[Any]:
        decode = self._decode
        for key, value in unpack(self.data):
            event = await decode(key, value)
            if event is ABANDONED:
                return
            yield event


def is_bundle(headers: Any) -> bool:
    """Whether a record with ``headers`` (a list of pairs or a mapping) is a bundle."""
    if not headers:
        return False
    pairs = headers.items() if isinstance(headers, dict) else headers
    return any(name == HEADER for name, _ in pairs)


def pack(events: Iterable[tuple[Optional[bytes], bytes]]) -> bytes:
    """One bundle's value from ``(key, value)`` pairs, in order."""
    parts = []
    for key, value in events:
        if key is None:
            parts.append(_LENGTH.pack(_NO_KEY))
        else:
            parts.append(_LENGTH.pack(len(key)))
            parts.append(key)
        parts.append(_LENGTH.pack(len(value)))
        parts.append(value)
    return b"".join(parts)


def _frames(data: bytes, topic: Optional[str], partition: Optional[int],
            offset: Optional[int]) -> Iterator[tuple[int, int, int, int]]:
    """``(key start, key end, value start, value end)`` per event; a key end of -1: no key.

    Raises :class:`NotWireFormatError` (naming the record) where the framing
    is cut short.
    """
    end = len(data)
    position = 0
    unpack_length = _LENGTH.unpack_from
    try:
        while position < end:
            (length,) = unpack_length(data, position)
            key_start = position = position + 4
            if length == _NO_KEY:
                key_end = -1
            else:
                key_end = position = position + length
            (length,) = unpack_length(data, position)
            value_start = position + 4
            position = value_start + length
            if position > end or key_end > end:
                raise struct.error(f"an event of {length} bytes runs past the record's end")
            yield key_start, key_end, value_start, position
    except struct.error as exc:
        raise NotWireFormatError(
            f"bundle framing is cut short at byte {position} of {end}: {exc}",
            topic=topic, partition=partition, offset=offset,
        ) from exc


def count(data: bytes, topic: Optional[str] = None, partition: Optional[int] = None,
          offset: Optional[int] = None) -> int:
    """The number of events in a bundle's value, its framing checked (see :func:`unpack`)."""
    return sum(1 for _ in _frames(data, topic, partition, offset))


def unpack(data: bytes, topic: Optional[str] = None, partition: Optional[int] = None,
           offset: Optional[int] = None) -> Iterator[tuple[Optional[bytes], bytes]]:
    """The ``(key, value)`` pairs of a bundle's value, in order.

    Raises :class:`NotWireFormatError` (naming the record) if the framing is
    cut short: the whole record is then one undecodable message.
    """
    for key_start, key_end, value_start, value_end in _frames(data, topic, partition, offset):
        key = None if key_end < 0 else data[key_start:key_end]
        yield key, data[value_start:value_end]
