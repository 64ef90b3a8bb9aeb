"""Identity and time of the events the saga derives.

A derived event's id is a UUIDv5 of its cause and its kind, so processing the
same input twice derives the very same events; its causationId is the id of
the event that caused it, and its correlationId that of the saga it belongs
to (the order's own correlationId, or the order's eventId when it has none).
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

_NAMESPACE = uuid.UUID("6f1c7f1e-6a57-4a8e-9a3e-0e8f4f0b2a11")


def derived_id(cause_id: str, kind: str, part: str = "") -> str:
    """The id of the ``kind`` event caused by ``cause_id`` (``part`` tells siblings apart)."""
    return str(uuid.uuid5(_NAMESPACE, f"{cause_id}/{kind}/{part}"))


def now() -> datetime:
    return datetime.now(timezone.utc)
