"""Bundle framing: several events' keys and values in one record, in order."""
from __future__ import annotations

import pytest

from pipeline.serde import NotWireFormatError
from pipeline.serde.bundle import HEADER, is_bundle, pack, unpack


def test_events_come_back_in_order_with_their_keys():
    events = [(b"sku-1", b"\x00\x00\x00\x00\x01a"), (None, b"\x00\x00\x00\x00\x01bb"), (b"", b"")]
    assert list(unpack(pack(events))) == events


def test_an_empty_bundle_has_no_events():
    assert pack([]) == b"" and list(unpack(b"")) == []


@pytest.mark.parametrize("cut", [1, 5, 9, 11])
def test_a_cut_framing_is_not_wire_format_and_names_the_record(cut):
    data = pack([(b"key", b"value"), (b"k2", b"v2")])
    with pytest.raises(NotWireFormatError, match="orderflow-stock-commands.*partition=3.*offset=41"):
        list(unpack(data[:-cut], "orderflow-stock-commands", 3, 41))


def test_only_records_with_the_header_are_bundles():
    assert is_bundle([("trace", b"1"), (HEADER, b"1")])
    assert is_bundle({HEADER: b"1"})
    assert not is_bundle([("trace", b"1")]) and not is_bundle(None) and not is_bundle([])
