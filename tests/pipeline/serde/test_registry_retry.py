"""An unreachable registry is waited for, never mistaken for a bad message."""
from __future__ import annotations

import asyncio

import pytest
from confluent_kafka.schema_registry.common._httpx_compat import httpx
from confluent_kafka.schema_registry.error import SchemaRegistryError

from pipeline.models.examples import order
from pipeline.serde import RegistryError, RegistryUnavailableError, SchemaRegistry
from pipeline.serde.registry import backoff, is_unavailable


class Blinking:
    """A registry client that fails ``outages`` times before passing calls through."""

    def __init__(self, client, outages: int, error: Exception) -> None:
        self.client = client
        self.outages = outages
        self.error = error
        self.calls = 0

    def __getattr__(self, name):
        method = getattr(self.client, name)

        def call(*args, **kwargs):
            self.calls += 1
            if self.outages:
                self.outages -= 1
                raise self.error
            return method(*args, **kwargs)

        return call


def _registry(outages: int, error: Exception, retry_for: float = 30.0) -> tuple[SchemaRegistry, bytes]:
    """A registry that holds OrderPlaced v2, bytes written with it, then a blinking client."""
    registry = SchemaRegistry("mock://retry", retry_for=retry_for, backoff_initial=0.001, backoff_max=0.01)
    data = registry.serializer("orders", "OrderPlaced").encode(order())
    fresh = SchemaRegistry("mock://retry", client=Blinking(registry.client, outages, error), retry_for=retry_for,
                           backoff_initial=0.001, backoff_max=0.01)
    return fresh, data


REFUSED = httpx.ConnectError("connection refused")


@pytest.mark.parametrize("error", [REFUSED, httpx.ReadTimeout("timed out"),
                                   SchemaRegistryError(503, 50300, "starting")])
def test_decode_waits_out_a_short_outage(error):
    registry, data = _registry(outages=3, error=error)
    assert registry.deserializer("OrderPlaced").decode(data)["orderId"] == "order-000123"
    assert registry.client.calls == 4


def test_decode_gives_up_after_retry_for_with_a_typed_retriable_error():
    registry, data = _registry(outages=10**9, error=REFUSED, retry_for=0.05)
    with pytest.raises(RegistryUnavailableError) as caught:
        registry.deserializer("OrderPlaced").decode(data, "orders", 3, 99)
    assert caught.value.retriable and caught.value.reason == "registry-unavailable"
    assert "topic=orders partition=3 offset=99" in str(caught.value)


def test_a_client_error_is_not_retried():
    registry, data = _registry(outages=1, error=SchemaRegistryError(401, 40101, "unauthorized"))
    with pytest.raises(RegistryError, match="unauthorized"):
        registry.deserializer("OrderPlaced").decode(data)
    assert registry.client.calls == 1


def test_async_prepare_retries_until_the_registry_answers():
    registry, data = _registry(outages=25, error=REFUSED, retry_for=0.0)
    de = registry.deserializer("OrderPlaced")
    asyncio.run(de.prepare(data, "orders", 0, 1))
    assert registry.client.calls == 26
    assert de.decode(data)["orderId"] == "order-000123"


def test_registering_waits_out_an_outage_too():
    registry = SchemaRegistry("mock://retry-register", backoff_initial=0.001, backoff_max=0.01)
    registry.client = Blinking(registry.client, 2, REFUSED)
    assert registry.serializer("deposits", "FundsDeposited").schema_id > 0


def test_backoff_grows_and_is_capped():
    delays = backoff(0.1, 1.0)
    first = [next(delays) for _ in range(30)]
    assert all(0.1 <= d <= 1.0 for d in first)
    assert max(first[-10:]) > 0.2  # the cap, not the initial delay, bounds later draws


def test_only_availability_problems_count_as_unavailable():
    assert is_unavailable(REFUSED)
    assert is_unavailable(SchemaRegistryError(502, -1, "bad gateway"))
    assert not is_unavailable(SchemaRegistryError(404, 40403, "not found"))
    assert not is_unavailable(ValueError("bad"))


def test_a_wrong_url_scheme_fails_at_once():
    assert not is_unavailable(httpx.UnsupportedProtocol("Request URL has an unsupported protocol 'ftp://'"))
