"""Identity and time of the events the saga derives.

A derived event's id is a UUIDv5 of its cause and its kind, so processing the
same input twice derives the very same events; its causationId is the id of
the event that caused it, and its correlationId that of the saga it belongs
to (the order's own correlationId, or the order's eventId when it has none).
"""
from __future__ import annotations

import hashlib
import time
import uuid
from datetime import datetime, timezone

_NAMESPACE = uuid.UUID("6f1c7f1e-6a57-4a8e-9a3e-0e8f4f0b2a11").bytes
#: SHA-1 fed the namespace, copied for each id: a new OpenSSL hash object
#: looks its digest up again (``EVP_DigestInit``), a copy shares it
_NAMESPACED_SHA1 = hashlib.sha1(_NAMESPACE)
#: a hex digit -> the digit with its top two bits set to the RFC 4122 variant (10)
_VARIANT = {digit: f"{int(digit, 16) & 0x3 | 0x8:x}" for digit in "0123456789abcdef"}


def derived_id(cause_id: str, kind: str, part: str = "") -> str:
    """The id of the ``kind`` event caused by ``cause_id`` (``part`` tells siblings apart).

    The very string ``str(uuid.uuid5(namespace, name))`` gives, cut from the
    SHA-1 hex digest with its version and variant digits set: every saga
    event derives one or two ids, and the ``uuid.UUID`` object uuid5 builds
    on the way (an int conversion and its checks) made it 3.4x slower, ~3% of
    the worker's CPU; setting the bits on the digest's bytes and converting
    them to hex took 1.5 us, this 1.2 us. The SHA-1 object comes from a copy
    (see :data:`_NAMESPACED_SHA1`): a new one each time was 3% of a busy
    worker's samples, on that line alone.
    """
    sha1 = _NAMESPACED_SHA1.copy()
    sha1.update(f"{cause_id}/{kind}/{part}".encode())
    h = sha1.hexdigest()
    # Digit 12 is the version (5); digit 16 holds the RFC 4122 variant in its top two bits (10).
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


def now() -> datetime:
    return datetime.now(timezone.utc)


def now_ms() -> int:
    """Now in epoch milliseconds: the ``occurredAt`` of the saga's internal events."""
    return time.time_ns() // 1_000_000
