"""Cluster administration through Kafka's AdminClient (confluent-kafka)."""
from __future__ import annotations

from typing import Iterable

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from pipeline.settings import Settings


def admin_client(settings: Settings) -> AdminClient:
    return AdminClient({"bootstrap.servers": settings.bootstrap_servers})


def ensure_topics(
    settings: Settings, names: Iterable[str], *, compacted: Iterable[str] = (), timeout: float = 30.0,
) -> list[str]:
    """Create the topics of ``names`` that do not exist yet; return those created.

    New topics get ``settings.partitions`` partitions, and those also in
    ``compacted`` (table changelogs) ``cleanup.policy=compact``; existing
    ones are left as they are (input topics may belong to other services).
    """
    compacted = set(compacted)
    admin = admin_client(settings)
    existing = set(admin.list_topics(timeout=timeout).topics)
    missing = sorted(set(names) - existing)
    if not missing:
        return []
    futures = admin.create_topics(
        [
            NewTopic(name, settings.partitions, settings.replication_factor,
                     config={"cleanup.policy": "compact"} if name in compacted else {})
            for name in missing
        ],
        operation_timeout=timeout,
    )
    for name, future in futures.items():
        try:
            future.result(timeout)
        except KafkaException as exc:
            if exc.args[0].code() != exc.args[0].TOPIC_ALREADY_EXISTS:
                raise RuntimeError(f"cannot create topic {name!r}: {exc.args[0].str()}") from exc
    return missing
