"""The models mirror the schemas field for field, and convert without loss."""
from __future__ import annotations

import dataclasses
import json

import pytest

from pipeline.models import MODELS, OrderItem, OrderPlaced
from pipeline.models.examples import example
from pipeline.serde import schemas


def _avro_fields(record: str) -> list[str]:
    return [field["name"] for field in json.loads(schemas.latest(record).text)["fields"]]


@pytest.mark.parametrize("record", sorted(MODELS))
def test_model_fields_are_the_schema_fields_in_order(record):
    model = MODELS[record]
    assert [field.name for field in dataclasses.fields(model)] == _avro_fields(record)


def test_order_item_fields_are_the_nested_schema_fields():
    order = json.loads(schemas.latest("OrderPlaced").text)
    items = next(field for field in order["fields"] if field["name"] == "items")
    nested = [field["name"] for field in items["type"]["items"]["fields"]]
    assert [field.name for field in dataclasses.fields(OrderItem)] == nested


def test_every_schema_file_has_a_model():
    files = {path.name.split(".")[0] for path in schemas.SCHEMA_DIR.glob("*.avsc")}
    assert files == set(MODELS)


@pytest.mark.parametrize("record", sorted(MODELS))
def test_to_avro_then_from_avro_gives_an_equal_model(record):
    model = example(record)
    assert type(model).from_avro(model.to_avro()) == model


def test_to_avro_turns_nested_items_into_dicts_without_touching_the_model():
    order = example("OrderPlaced")
    record = order.to_avro()
    assert record["items"][0] == {"sku": "SKU-0000", "quantity": 1, "unitPrice": order.items[0].unitPrice}
    assert isinstance(order.items[0], OrderItem)


def test_from_avro_builds_nested_items():
    record = example("OrderPlaced").to_avro()
    order = OrderPlaced.from_avro(record)
    assert all(isinstance(item, OrderItem) for item in order.items)


def test_models_have_slots():
    order = example("OrderPlaced")
    with pytest.raises(AttributeError):
        order.notAField = 1
