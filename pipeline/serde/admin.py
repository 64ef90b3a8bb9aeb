"""Registry administration: register the schema files, list subjects, test compatibility.

Compatibility reasons: the Confluent API answers ``messages`` to a verbose
compatibility test, but confluent-kafka's ``test_compatibility`` returns only
the boolean, and Apicurio's Confluent-compatible API sends no messages at all.
So :func:`check` asks the compatibility endpoint itself and, when the answer
is "incompatible" without a reason, asks Apicurio's own API for a dry-run
registration, whose refusal lists the offending fields.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import quote

from confluent_kafka.schema_registry import Schema
from confluent_kafka.schema_registry.common._httpx_compat import httpx
from confluent_kafka.schema_registry.error import SchemaRegistryError

from pipeline.serde import schemas
from pipeline.serde.errors import RegistryError
from pipeline.serde.registry import SchemaRegistry
from pipeline.serde.subjects import TOPIC_RECORDS, value_subject

COMPATIBILITY = "BACKWARD"
CCOMPAT_PATH = "/apis/ccompat/v7"
APICURIO_PATH = "/apis/registry/v3"


@dataclass(frozen=True)
class Registered:
    subject: str
    record: str
    file: str
    schema_id: int


@dataclass(frozen=True)
class SubjectVersion:
    subject: str
    version: int
    schema_id: int
    record: str
    fields: int
    compatibility: str


@dataclass(frozen=True)
class Compatibility:
    subject: str
    candidate: str
    compatible: bool
    messages: list[str] = field(default_factory=list)


def register_all(registry: SchemaRegistry, topics: dict[str, str] = TOPIC_RECORDS) -> list[Registered]:
    """Register every version of every topic's record, oldest first; idempotent.

    Compatibility is set to BACKWARD on each subject *before* its versions go
    in, so the registry checks each one against the ones before it.
    """
    done = []
    for topic, record in topics.items():
        subject = value_subject(topic)
        set_compatibility(registry, subject)
        for version in schemas.versions(record):
            done.append(Registered(subject, record, version.path.name, registry.register(subject, version)))
    return done


def set_compatibility(registry: SchemaRegistry, subject: str, level: str = COMPATIBILITY) -> None:
    try:
        registry.call(f"setting {level} on subject {subject}", registry.client.set_compatibility, subject, level)
    except SchemaRegistryError as exc:
        raise RegistryError(f"setting {level} compatibility on subject {subject}: {exc}") from exc


def describe(registry: SchemaRegistry, prefix: str = "") -> list[SubjectVersion]:
    """Every version of every subject (starting with ``prefix``), with its id."""
    client = registry.client
    rows = []
    for subject in sorted(registry.call("listing subjects", client.get_subjects)):
        if not subject.startswith(prefix):
            continue
        level = registry.call(f"compatibility of {subject}", client.get_compatibility, subject)
        for number in registry.call(f"versions of {subject}", client.get_versions, subject):
            found = registry.call(f"subject {subject} version {number}", client.get_version, subject, number)
            schema = json.loads(found.schema.schema_str)
            rows.append(SubjectVersion(subject, found.version, found.schema_id, schema.get("name", "?"),
                                       len(schema.get("fields", ())), level))
    return rows


def check(registry: SchemaRegistry, subject: str, candidate: schemas.SchemaVersion) -> Compatibility:
    """Would the registry accept ``candidate`` under ``subject``? With its reasons if not."""
    body = Schema(candidate.text, "AVRO").to_dict()
    url = f"{registry.url}/compatibility/subjects/{quote(subject, safe='')}/versions"
    answer = registry.call(f"testing {candidate.path.name} against subject {subject}",
                           _post, url, body, {"verbose": "true"})
    name = candidate.path.name
    if answer.status_code == 404:  # no such subject (yet): anything goes
        return Compatibility(subject, name, True, [f"subject {subject} has no versions yet"])
    if answer.status_code != 200:
        raise RegistryError(f"testing {name} against subject {subject}: {answer.status_code} {answer.text}")
    result = answer.json()
    if result.get("is_compatible"):
        return Compatibility(subject, name, True)
    messages = list(result.get("messages") or ()) or _apicurio_reasons(registry, subject, candidate)
    return Compatibility(subject, name, False, messages or ["the registry gave no reason"])


def _apicurio_reasons(registry: SchemaRegistry, subject: str, candidate: schemas.SchemaVersion) -> list[str]:
    """The causes Apicurio gives when refusing a dry-run registration of ``candidate``."""
    if not registry.url.endswith(CCOMPAT_PATH):
        return []
    base = registry.url[: -len(CCOMPAT_PATH)] + APICURIO_PATH
    url = f"{base}/groups/default/artifacts/{quote(subject, safe='')}/versions"
    body = {"content": {"content": candidate.text, "contentType": "application/json"}}
    answer = registry.call(f"dry-run of {candidate.path.name} on subject {subject}",
                           _post, url, body, {"dryRun": "true"})
    if answer.status_code < 400:
        return []
    problem = answer.json()
    causes = [f"{cause.get('description')} at {cause.get('context')}" for cause in problem.get("causes") or ()]
    title = problem.get("title") or problem.get("detail")
    return [title, *(f"offending field: {cause}" for cause in causes)] if title else causes


def _post(url: str, body: dict, params: dict) -> httpx.Response:
    answer = httpx.post(url, json=body, params=params, timeout=10.0)
    if answer.status_code in (502, 503, 504):
        raise SchemaRegistryError(answer.status_code, -1, answer.text)
    return answer
