"""The stack's registry through confluent-kafka's SchemaRegistryClient (Confluent API)."""
from __future__ import annotations

import json
import uuid

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError


def record(*fields: dict) -> Schema:
    return Schema(json.dumps({"type": "record", "name": "Probe", "namespace": "orderflow.events",
                              "fields": [{"name": "id", "type": "string"}, *fields]}), "AVRO")


@pytest.fixture
def client(kafka_stack):
    return SchemaRegistryClient({"url": kafka_stack.registry_url})


def test_global_compatibility_is_backward(client):
    assert client.get_compatibility() == "BACKWARD"


def test_registered_schema_is_fetched_back_by_id(client):
    subject = f"probe-{uuid.uuid4().hex[:8]}-value"
    schema = record({"name": "note", "type": ["null", "string"], "default": None})
    schema_id = client.register_schema(subject, schema)
    fetched = client.get_schema(schema_id)
    assert json.loads(fetched.schema_str) == json.loads(schema.schema_str)
    latest = client.get_latest_version(subject)
    assert (latest.schema_id, latest.version) == (schema_id, 1)


def test_one_schema_has_one_id_across_subjects(client):
    """Confluent semantics: the id names the schema text, so the wire format does not depend on the subject."""
    schema = record({"name": f"f{uuid.uuid4().hex[:8]}", "type": "long", "default": 0})
    first = client.register_schema(f"probe-{uuid.uuid4().hex[:8]}-value", schema)
    second = client.register_schema(f"probe-{uuid.uuid4().hex[:8]}-value", schema)
    assert first == second


def test_backward_incompatible_schema_is_refused(client):
    subject = f"probe-{uuid.uuid4().hex[:8]}-value"
    client.register_schema(subject, record())
    breaking = record({"name": "amount", "type": "int"})  # new field without a default
    assert client.test_compatibility(subject, breaking) is False
    with pytest.raises(SchemaRegistryError) as refused:
        client.register_schema(subject, breaking)
    assert refused.value.http_status_code == 409
    assert subject in str(refused.value) and "amount" in str(refused.value)
    assert client.get_latest_version(subject).version == 1
