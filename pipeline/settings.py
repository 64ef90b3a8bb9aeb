"""Configuration from the environment, with the defaults the contract names.

Every process (worker, CLI, tests) reads its settings here so that one set of
environment variables points the whole pipeline at a cluster.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_data_dir

DEFAULT_BOOTSTRAP = "localhost:9092"
DEFAULT_REGISTRY_URL = "http://localhost:8081/apis/ccompat/v7"
DEFAULT_WEB_PORT = 6066


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


@dataclass(frozen=True)
class Settings:
    """A snapshot of the environment; build a new one with :meth:`from_env`."""

    bootstrap_servers: str = DEFAULT_BOOTSTRAP
    registry_url: str = DEFAULT_REGISTRY_URL
    web_port: int = DEFAULT_WEB_PORT
    data_dir: Path = field(default_factory=lambda: Path(user_data_dir("orderflow")) / "worker")
    stack_dir: Path = field(default_factory=lambda: Path(user_data_dir("orderflow")) / "stack")
    partitions: int = 6
    standby_replicas: int = 0
    commit_interval: float = 0.1
    replication_factor: int = 1
    session_timeout: float = 10.0
    web_host: str = "localhost"
    table_memtables_mib: int = 24
    table_cache_mib: int = 16

    @classmethod
    def from_env(cls) -> "Settings":
        base = Path(user_data_dir("orderflow"))
        return cls(
            bootstrap_servers=_env("KAFKA_BOOTSTRAP_SERVERS", DEFAULT_BOOTSTRAP),
            registry_url=_env("SCHEMA_REGISTRY_URL", DEFAULT_REGISTRY_URL).rstrip("/"),
            web_port=int(_env("ORDERFLOW_WEB_PORT", str(DEFAULT_WEB_PORT))),
            data_dir=Path(_env("ORDERFLOW_DATA_DIR", str(base / "worker"))),
            stack_dir=Path(_env("ORDERFLOW_STACK_DIR", str(base / "stack"))),
            partitions=int(_env("ORDERFLOW_PARTITIONS", "6")),
            standby_replicas=int(_env("ORDERFLOW_STANDBY_REPLICAS", "0")),
            commit_interval=float(_env("ORDERFLOW_COMMIT_INTERVAL", "0.1")),
            replication_factor=int(_env("ORDERFLOW_REPLICATION_FACTOR", "1")),
            session_timeout=float(_env("ORDERFLOW_SESSION_TIMEOUT", "10")),
            web_host=_env("ORDERFLOW_WEB_HOST", "localhost"),
            table_memtables_mib=int(_env("ORDERFLOW_TABLE_MEMTABLES_MIB", "24")),
            table_cache_mib=int(_env("ORDERFLOW_TABLE_CACHE_MIB", "16")),
        )

    @property
    def external_cluster(self) -> bool:
        """True when the user pointed us at their own Kafka (no local stack)."""
        return "KAFKA_BOOTSTRAP_SERVERS" in os.environ


settings = Settings.from_env()
