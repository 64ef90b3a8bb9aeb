"""The pinned JVM artifacts of the local stack, read from the committed manifest.json.

The manifest is written by `scripts/update-manifest` (with Maven, on a maintainer's machine) so
that users fetch exactly these files from Maven Central and check them against Central's
published checksums, with no Maven of their own.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_cache_dir

MANIFEST = Path(__file__).with_name("manifest.json")


@dataclass(frozen=True)
class Artifact:
    """One file on Maven Central and the checksum Central publishes for it."""

    coords: str
    file: str
    url: str
    size: int
    algorithm: str
    digest: str


@dataclass(frozen=True)
class Component:
    """A versioned set of artifacts (Kafka's classpath, or the registry's archive)."""

    name: str
    version: str
    artifacts: tuple[Artifact, ...]

    @property
    def cache_dir(self) -> Path:
        return cache_root() / f"{self.name}-{self.version}"


def cache_root() -> Path:
    """Where downloads are kept across stacks: ``ORDERFLOW_CACHE_DIR`` or the user cache dir."""
    return Path(os.environ.get("ORDERFLOW_CACHE_DIR") or user_cache_dir("orderflow"))


def load(path: Path = MANIFEST) -> dict[str, Component]:
    data = json.loads(path.read_text())
    return {
        name: Component(name, entry["version"], tuple(Artifact(**a) for a in entry["artifacts"]))
        for name, entry in data.items()
    }
