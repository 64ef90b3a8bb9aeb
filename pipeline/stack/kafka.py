"""The stack's Kafka broker: one KRaft node acting as broker and controller.

Settings favour a single-node developer cluster: every internal topic has one replica so that
transactions and consumer groups work, and a new consumer group starts without the usual
rebalance delay.
"""
from __future__ import annotations

import base64
import socket
import subprocess
import uuid
from pathlib import Path

from confluent_kafka.admin import AdminClient

from pipeline.stack.errors import StackError
from pipeline.stack.manifest import Component
from pipeline.stack.process import JavaProcess, wait_until

HOST = "127.0.0.1"
LOG4J = Path(__file__).with_name("log4j2.properties")
JVM_ARGS = ["-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:+ExplicitGCInvokesConcurrent",
            "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={LOG4J}"]

PROPERTIES = """\
# Written by `orderflow stack up` on every start; edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@{host}:{controller_port}
listeners=PLAINTEXT://{host}:{kafka_port},CONTROLLER://{host}:{controller_port}
advertised.listeners=PLAINTEXT://{host}:{kafka_port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs={data_dir}
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
"""


def new_cluster_id(random_uuid=uuid.uuid4) -> str:
    """A KRaft cluster id: a random UUID in URL-safe base64, never starting with "-".

    The storage tool's parser would read an id such as "-Wq3..." (1 in 64 of
    them) as an option and refuse to format; Kafka's own ``Uuid.randomUuid()``
    draws again for the same reason.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(random_uuid().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


class Kafka:
    def __init__(self, component: Component, stack_dir: Path, kafka_port: int, controller_port: int) -> None:
        self.component = component
        self.dir = stack_dir / "kafka"
        self.data_dir = self.dir / "data"
        self.config = self.dir / "server.properties"
        self.kafka_port = kafka_port
        self.controller_port = controller_port
        self.process = JavaProcess("kafka", stack_dir)

    @property
    def bootstrap_servers(self) -> str:
        return f"localhost:{self.kafka_port}"

    @property
    def listener(self) -> str:
        """The address the broker binds, for the registry next to it."""
        return f"{HOST}:{self.kafka_port}"

    def _classpath(self) -> list[str]:
        return ["-cp", str(self.component.cache_dir / "*")]

    def start(self, java: str, heap: str) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config.write_text(PROPERTIES.format(
            host=HOST, kafka_port=self.kafka_port, controller_port=self.controller_port, data_dir=self.data_dir))
        if not (self.data_dir / "meta.properties").exists():
            self._format(java)
        self.process.start(java, [f"-Xmx{heap}", *JVM_ARGS],
                           [*self._classpath(), "kafka.Kafka", str(self.config)], {}, self.dir)

    def _format(self, java: str) -> None:
        """Format the KRaft storage once; later starts reuse it and keep all topics and offsets."""
        cluster_id = new_cluster_id()
        self.process.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.process.log_file.open("a") as log:
            done = subprocess.run(
                [java, *JVM_ARGS, *self._classpath(), "kafka.tools.StorageTool", "format",
                 "-t", cluster_id, "-c", str(self.config)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if done.returncode:
            raise StackError(f"formatting kafka storage in {self.data_dir} failed; see {self.process.log_file}")

    def wait_ready(self, timeout: float) -> None:
        wait_until(self._port_open, self.process, f"kafka on port {self.kafka_port}", timeout)
        wait_until(self._has_broker, self.process, f"kafka on port {self.kafka_port}", timeout)

    def _port_open(self) -> bool:
        with socket.socket() as s:
            s.settimeout(1)
            return s.connect_ex((HOST, self.kafka_port)) == 0

    def _has_broker(self) -> bool:
        """A metadata answer listing a broker is what clients need, not just an open port."""
        admin = AdminClient({"bootstrap.servers": self.bootstrap_servers, "log_level": 0})
        try:
            return bool(admin.list_topics(timeout=2).brokers)
        except Exception:  # noqa: BLE001 - any client error means "not ready yet"
            return False
