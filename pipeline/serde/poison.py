"""A record that cannot be decoded, handed to the agent instead of a model.

Faust drops values it fails to decode; the contract says an undecodable
message is never dropped but dead-lettered. So the Faust schema turns decode
failures into a :class:`Poison` value that carries the original bytes and the
typed error, and the agent forwards it to ``<topic>.dlq``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.serde.errors import SerdeError


@dataclass(slots=True)
class Poison:
    error: SerdeError
    topic: str | None
    partition: int | None
    offset: int | None
    key: bytes | None
    value: bytes | None
    headers: Any = None

    @property
    def reason(self) -> str:
        return self.error.reason

    @property
    def dlq_topic(self) -> str:
        return f"{self.topic}.dlq"

    def dlq_headers(self) -> list[tuple[str, bytes]]:
        """The ``dlq.*`` headers of the contract, for the dead-letter copy."""
        return [
            ("dlq.reason", self.error.reason.encode()),
            ("dlq.error", str(self.error).encode()),
            ("dlq.source.topic", str(self.topic).encode()),
            ("dlq.source.partition", str(self.partition).encode()),
            ("dlq.source.offset", str(self.offset).encode()),
        ]
