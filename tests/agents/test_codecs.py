"""Table value codecs: what a changelog holds reads back as it was written."""
from __future__ import annotations

import json
import tracemalloc
from decimal import Decimal

from faust.serializers import codecs

from agents.codecs import Stock  # (importing it registers the table codecs)

STATE = {
    "status": "PENDING", "reason": None, "userId": "user-ü-42", "total": "123.45",
    "eventId": "5f0c8c1e-6a57-4a8e-9a3e-0e8f4f0b2a11", "correlationId": "c-1",
    "placedAt": 1764664000000, "items": {"sku-00012": 3, "sku-é": 1},
    "answered": ["sku-00012"], "reserved": [], "awaiting": 1, "outOfStock": False,
}


def test_compact_json_is_json_without_whitespace():
    data = codecs.get_codec("compact-json").dumps(STATE)
    assert data == json.dumps(STATE, separators=(",", ":"), ensure_ascii=False).encode()


def test_compact_json_reads_what_the_standard_library_wrote():
    """A changelog written before the switch to orjson (ASCII escapes included) reads back alike."""
    written = json.dumps(STATE, separators=(",", ":")).encode()
    assert b"\\u00fc" in written
    assert codecs.get_codec("compact-json").loads(written) == STATE


def test_compact_json_values_take_the_memory_of_their_bytes():
    """Values wait in a transaction's buffers: each must not hold a 4 KiB allocation (orjson's own)."""
    codec = codecs.get_codec("compact-json")
    tracemalloc.start()
    try:
        held = [codec.dumps(STATE) for _ in range(1_000)]
        size, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size < len(held) * (len(held[0]) + 200)


def test_binary_codecs_round_trip():
    stock = codecs.get_codec("stock")
    assert stock.loads(stock.dumps(Stock(5, 2, 9))) == Stock(5, 2, 9)
    money = codecs.get_codec("money")
    assert money.loads(money.dumps(Decimal("1234.56"))) == Decimal("1234.56")
