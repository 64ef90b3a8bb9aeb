"""The stack's schema registry: Apicurio Registry storing its data in a Kafka topic (kafkasql).

Apicurio serves the Confluent Schema Registry API under ``/apis/ccompat/v7``, so the pipeline
talks to it with confluent-kafka's SchemaRegistryClient exactly as it would to Confluent's.
"""
from __future__ import annotations

import json
import shutil
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

from pipeline.stack.errors import StackError
from pipeline.stack.manifest import Component
from pipeline.stack.process import JavaProcess, wait_until

HOST = "127.0.0.1"
CCOMPAT = "/apis/ccompat/v7"


class Registry:
    def __init__(self, component: Component, stack_dir: Path, port: int, management_port: int) -> None:
        self.component = component
        self.dir = stack_dir / "registry"
        self.port = port
        self.management_port = management_port
        self.process = JavaProcess("registry", stack_dir)

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}{CCOMPAT}"

    @property
    def app_dir(self) -> Path:
        return self.component.cache_dir / "app"

    def unpack(self, refetched: bool) -> None:
        """Unpack the verified archive once (again when it was just re-downloaded)."""
        archive = self.component.cache_dir / self.component.artifacts[0].file
        stamp = self.app_dir / ".unpacked"
        if stamp.exists() and not refetched:
            return
        shutil.rmtree(self.app_dir, ignore_errors=True)
        # The "data" filter (no absolute paths, links out of the tree...) exists from Python 3.11.4.
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        with tarfile.open(archive) as tar:
            tar.extractall(self.app_dir, **safe)
        stamp.touch()

    def _runner(self) -> Path:
        found = sorted(self.app_dir.rglob("quarkus-run.jar"))
        if not found:
            raise StackError(f"no quarkus-run.jar in {self.app_dir}; delete that directory and retry")
        return found[0]

    def start(self, java: str, heap: str, bootstrap_servers: str) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        runner = self._runner()
        env = {
            "APICURIO_STORAGE_KIND": "kafkasql",
            "APICURIO_KAFKASQL_BOOTSTRAP_SERVERS": bootstrap_servers,
            # Confluent ids are content ids (one id per distinct schema, whatever the subject); the
            # legacy mode would hand out global ids (one per version). Pinned so register, the wire
            # format and GET /schemas/ids/{id} always agree.
            "APICURIO_CCOMPAT_LEGACY_ID_MODE_ENABLED": "false",
            "QUARKUS_HTTP_HOST": HOST,
            "QUARKUS_HTTP_PORT": str(self.port),
            # Quarkus' management interface defaults to 9000, a port many tools use.
            "QUARKUS_MANAGEMENT_HOST": HOST,
            "QUARKUS_MANAGEMENT_PORT": str(self.management_port),
        }
        self.process.start(java, [f"-Xmx{heap}", "-Djava.awt.headless=true"],
                           ["-jar", str(runner)], env, self.dir)

    def wait_ready(self, timeout: float) -> None:
        wait_until(self._answers, self.process, f"registry on port {self.port}", timeout)

    def _answers(self) -> bool:
        """Ready (kafkasql journal replayed) per its health check, and serving the Confluent API."""
        return all(_ok(url) for url in (f"http://{HOST}:{self.management_port}/health/ready",
                                        f"{self.url}/subjects"))

    def set_backward(self) -> None:
        set_backward(self.url, f"see {self.process.log_file}")


def _ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def set_backward(url: str, hint: str = "") -> None:
    """Set the registry's global compatibility to BACKWARD.

    Apicurio may answer that the rule already exists; that is fine as long as the level read
    back is BACKWARD.
    """
    request = urllib.request.Request(
        f"{url}/config", method="PUT", data=json.dumps({"compatibility": "BACKWARD"}).encode(),
        headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
    try:
        urllib.request.urlopen(request, timeout=10).close()
    except urllib.error.HTTPError as error:
        body = error.read().decode(errors="replace")
        if compatibility(url) != "BACKWARD":
            raise StackError(f"setting BACKWARD compatibility on {url}/config failed: "
                             f"{error.code} {body} {hint}".rstrip()) from error


def compatibility(url: str) -> str | None:
    """The registry's global compatibility level."""
    with urllib.request.urlopen(f"{url}/config", timeout=10) as answer:
        return json.load(answer).get("compatibilityLevel")
