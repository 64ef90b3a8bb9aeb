"""Typed serde failures.

Each error says *where* the bytes came from (topic, partition, offset) so a
log line or a dead-letter header is enough to find the offending record, and
carries a short :attr:`SerdeError.reason` code that becomes the ``dlq.reason``
header. :class:`RegistryUnavailableError` is the odd one out: it is about the
registry, not the message, so callers retry it instead of dead-lettering.
"""
from __future__ import annotations


class SerdeError(Exception):
    """A value could not be encoded or decoded."""

    reason = "serde-error"
    #: True when the same bytes may decode later (only registry outages).
    retriable = False

    def __init__(
        self,
        detail: str,
        *,
        topic: str | None = None,
        partition: int | None = None,
        offset: int | None = None,
    ) -> None:
        self.detail = detail
        self.topic = topic
        self.partition = partition
        self.offset = offset
        super().__init__(self._message())

    def _message(self) -> str:
        if self.topic is None and self.partition is None and self.offset is None:
            return self.detail
        return f"{self.detail} (topic={self.topic} partition={self.partition} offset={self.offset})"


class NotWireFormatError(SerdeError):
    """Empty or short bytes, or a first byte other than the 0x00 magic byte."""

    reason = "not-wire-format"


class UnknownSchemaError(SerdeError):
    """The schema id in the header is not known to the registry."""

    reason = "unknown-schema-id"


class RegistryUnavailableError(SerdeError):
    """The registry did not answer (connection refused, timeout, 5xx) in time."""

    reason = "registry-unavailable"
    retriable = True


class BodyDecodeError(SerdeError):
    """The Avro body does not decode with its writer schema into the reader schema."""

    reason = "undecodable-body"


class KeyDecodeError(SerdeError):
    """The record key is not UTF-8 text, as the contract requires of every key."""

    reason = "undecodable-key"


class EncodeError(SerdeError):
    """A value does not fit the schema it is being written with."""

    reason = "unencodable-value"


class RegistryError(Exception):
    """The registry refused a request (bad schema, incompatible version...).

    The message names the subject and the schema version involved.
    """
