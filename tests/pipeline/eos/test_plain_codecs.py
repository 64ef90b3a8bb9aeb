"""Table stores encode plain keys and values with their codecs, not through Faust's serializer registry."""
from __future__ import annotations

import faust
import pytest
from faust.exceptions import ValueDecodeError

from agents.codecs import Stock  # (importing it registers the table codecs)
from pipeline.app import App


class Point(faust.Record, serializer="json"):
    x: int


@pytest.fixture
def app(tmp_path):
    return App("plain-codecs-test", broker="memory://", store="rocksdb://", datadir=str(tmp_path),
               Table="pipeline.eos.tables:TransactionalTable")


class Refused:
    """Faust's serializer registry, which plain tables must not ask."""

    def __getattr__(self, name):
        raise AssertionError(f"serializer registry asked for {name}")


def test_plain_keys_and_values_skip_the_registry(app, monkeypatch):
    orders = app.Table("orders", key_type=str, value_type=None, key_serializer="raw",
                       value_serializer="compact-json").data
    stock = app.Table("stock", key_type=str, value_type=None, key_serializer="raw",
                      value_serializer="stock").data
    monkeypatch.setattr(app, "serializers", Refused())
    assert orders._encode_key("o-1") == b"o-1"
    assert orders._encode_key(b"o-1") == b"o-1"
    assert orders._encode_value({"status": "PENDING", "items": {"a": 1}}) == b'{"status":"PENDING","items":{"a":1}}'
    assert orders._decode_value(b'{"status":"PENDING","items":{"a":1}}') == {"status": "PENDING", "items": {"a": 1}}
    assert stock._decode_value(stock._encode_value(Stock(3, 1, 2))) == Stock(3, 1, 2)
    assert stock._encode_value(b"as is") == b"as is"
    assert orders._decode_value(None) is None


def test_a_value_that_does_not_decode_is_a_value_decode_error(app):
    orders = app.Table("orders", key_type=str, value_type=None, key_serializer="raw",
                       value_serializer="compact-json").data
    with pytest.raises(ValueDecodeError):
        orders._decode_value(b"{not json")


def test_model_values_still_go_through_the_registry(app, monkeypatch):
    points = app.Table("points", key_type=str, value_type=Point).data
    data = points._encode_value(Point(x=4))
    assert points._decode_value(data) == Point(x=4)
    monkeypatch.setattr(app, "serializers", Refused())
    with pytest.raises(AssertionError, match="serializer registry"):
        points._decode_value(data)
