"""The schema files: versions, the topic mapping, and the evolution rules they follow."""
from __future__ import annotations

import io
import json

from fastavro import parse_schema, schemaless_reader, schemaless_writer

from pipeline.models.examples import order
from pipeline.serde import TOPIC_RECORDS, schemas, topic_of, value_subject

EXAMPLES = schemas.SCHEMA_DIR / "examples"


def test_order_placed_has_v1_then_v2_and_ignores_examples():
    found = schemas.versions("OrderPlaced")
    assert [(v.version, v.path.name) for v in found] == [(1, "OrderPlaced.v1.avsc"), (2, "OrderPlaced.avsc")]
    assert schemas.latest("OrderPlaced").version == 2


def test_v2_adds_only_a_trailing_optional_promo_code():
    v1, v2 = (json.loads(v.text) for v in schemas.versions("OrderPlaced"))
    assert v2["fields"][:-1] == v1["fields"]
    assert v2["fields"][-1] == {"name": "promoCode", "type": ["null", "string"], "default": None}


def test_every_topic_maps_to_a_schema_file_and_back():
    for topic, record in TOPIC_RECORDS.items():
        assert schemas.latest(record).record == record
        assert topic_of(record) == topic
        assert value_subject(topic) == f"{topic}-value"


def test_every_record_is_in_the_contract_namespace():
    for record in TOPIC_RECORDS.values():
        assert json.loads(schemas.latest(record).text)["namespace"] == "orderflow.events"


def test_the_breaking_example_cannot_read_v2_data():
    """v3 (a required field without default) is BACKWARD-incompatible: fastavro agrees."""
    v3 = schemas.load(EXAMPLES / "OrderPlaced.v3-breaking.avsc")
    buf = io.BytesIO()
    schemaless_writer(buf, schemas.latest("OrderPlaced").parsed, order().to_avro())
    buf.seek(0)
    try:
        schemaless_reader(buf, schemas.latest("OrderPlaced").parsed, parse_schema(json.loads(v3.text)))
    except Exception as exc:  # fastavro's SchemaResolutionError
        assert "channel" in str(exc)
    else:
        raise AssertionError("a v3 reader read v2 data although channel has no default")


def test_parse_text_shares_one_object_per_text():
    version = schemas.latest("OrderPlaced")
    assert schemas.parse_text(version.text) is version.parsed
