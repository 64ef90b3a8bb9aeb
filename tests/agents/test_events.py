"""Derived event ids: stable UUIDv5s of cause, kind and part."""
from __future__ import annotations

import uuid

import pytest

from agents.events import derived_id

NAMESPACE = uuid.UUID("6f1c7f1e-6a57-4a8e-9a3e-0e8f4f0b2a11")


@pytest.mark.parametrize("cause, kind, part", [
    ("3f0e9c7a-1b2c-4d5e-8f90-123456789abc", "STOCK_RESERVED", ""),
    ("evt-1", "RESERVE", "sku-42"),
    ("commande-é", "OrderOutcome", "ünïcode"),
    ("", "", ""),
])
def test_a_derived_id_is_the_uuid5_of_its_cause_kind_and_part(cause, kind, part):
    assert derived_id(cause, kind, part) == str(uuid.uuid5(NAMESPACE, f"{cause}/{kind}/{part}"))


def test_ids_match_uuid5_across_many_causes():
    for _ in range(2_000):
        cause = str(uuid.uuid4())
        assert derived_id(cause, "COMMIT", cause[:5]) == str(uuid.uuid5(NAMESPACE, f"{cause}/COMMIT/{cause[:5]}"))


def test_siblings_and_kinds_get_distinct_ids():
    ids = {derived_id("e", kind, part) for kind in ("RESERVE", "RELEASE") for part in ("a", "b")}
    assert len(ids) == 4
    assert uuid.UUID(derived_id("e", "RESERVE", "a")).version == 5
