"""The Avro schemas of ``schemas/avro/``, as versions ready to register or parse.

Version files: ``<Record>.v<N>.avsc`` are the older versions, ``<Record>.avsc``
is the newest one (version = highest N + 1, or 1 when it has no history).
Files under ``schemas/avro/examples/`` are never picked up here.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import fastavro

NAMESPACE = "orderflow.events"
SCHEMA_DIR = Path(
    os.environ.get("ORDERFLOW_SCHEMA_DIR") or Path(__file__).resolve().parents[2] / "schemas" / "avro"
)
_OLD_VERSION = re.compile(r"^(?P<record>\w+)\.v(?P<version>\d+)\.avsc$")


@dataclass(frozen=True)
class SchemaVersion:
    """One version of one record's schema, as a file says it."""

    record: str
    version: int
    path: Path
    #: compact JSON, the exact text sent to the registry (stable across calls)
    text: str

    @property
    def label(self) -> str:
        """``OrderPlaced v2``, or the file name for an unnumbered file."""
        return f"{self.record} v{self.version}" if self.version else f"{self.record} ({self.path.name})"

    @property
    def parsed(self) -> dict:
        """The fastavro-parsed schema (parsed once per text, then shared)."""
        return parse_text(self.text)


@cache
def parse_text(text: str) -> dict:
    """Parse a schema's JSON text once; the same text always yields the same object.

    Sharing one object lets the decoder see "writer schema is reader schema"
    by identity and skip fastavro's schema resolution.
    """
    return fastavro.parse_schema(json.loads(text))


#: fastavro's bookkeeping keys in a parsed schema, dropped before parsing a view of it again
_PARSED_KEYS = ("__fastavro_parsed", "__named_schemas")


def epoch_millis_view(parsed: dict) -> dict:
    """``parsed`` with every ``timestamp-millis`` long a plain long, parsed.

    The same bytes, read as epoch milliseconds (``int``) instead of
    ``datetime``: fastavro converts each one on the way in (~2.3 us of a
    ~8 us saga event) and out. Models that hold their times as epoch
    milliseconds (:func:`pipeline.models.base.avro_model`) are read and
    written through this view; fastavro writes an ``int`` for a
    ``timestamp-millis`` as it is, so the writer needs no view.
    """
    def strip(node: Any) -> Any:
        if isinstance(node, list):
            return [strip(item) for item in node]
        if not isinstance(node, dict):
            return node
        if node.get("logicalType") == "timestamp-millis" and node.get("type") == "long":
            return "long"
        return {key: strip(value) for key, value in node.items() if key not in _PARSED_KEYS}

    return fastavro.parse_schema(strip(parsed))


def load(path: str | Path, version: int = 0) -> SchemaVersion:
    """Read one .avsc file; ``version`` 0 means "not a numbered version"."""
    path = Path(path)
    schema = json.loads(path.read_text())
    return SchemaVersion(schema["name"], version, path, json.dumps(schema, separators=(",", ":")))


@cache
def versions(record: str, directory: Path = SCHEMA_DIR) -> tuple[SchemaVersion, ...]:
    """Every version of ``record``, oldest first; the last one is the newest."""
    newest = directory / f"{record}.avsc"
    if not newest.is_file():
        raise FileNotFoundError(f"no schema {newest} for record {record!r} "
                                "(ORDERFLOW_SCHEMA_DIR names the schemas/avro directory of the source tree)")
    old = sorted(
        (int(match["version"]), path)
        for path in directory.glob(f"{record}.v*.avsc")
        if (match := _OLD_VERSION.match(path.name)) and match["record"] == record
    )
    found = [load(path, number) for number, path in old]
    found.append(load(newest, (old[-1][0] + 1) if old else 1))
    return tuple(found)


def latest(record: str) -> SchemaVersion:
    """The newest version of ``record``: what this code writes and reads into."""
    return versions(record)[-1]
