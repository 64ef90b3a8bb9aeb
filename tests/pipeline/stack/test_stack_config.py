"""Where a stack's ports come from, and how its logs are shown."""
from __future__ import annotations

import base64
import uuid

from pipeline.stack import Ports, Stack
from pipeline.stack.kafka import new_cluster_id
from pipeline.stack.logs import tail


def test_default_ports_follow_the_configured_urls(monkeypatch, tmp_path):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "localhost:29092")
    monkeypatch.setenv("SCHEMA_REGISTRY_URL", "http://localhost:28081/apis/ccompat/v7")
    monkeypatch.setenv("ORDERFLOW_CONTROLLER_PORT", "29093")
    assert Ports.defaults() == Ports(kafka=29092, controller=29093, registry=28081, management=9581)
    stack = Stack(tmp_path)
    assert stack.env() == {"KAFKA_BOOTSTRAP_SERVERS": "localhost:29092",
                           "SCHEMA_REGISTRY_URL": "http://localhost:28081/apis/ccompat/v7"}


def test_contract_defaults_without_environment(monkeypatch, tmp_path):
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "SCHEMA_REGISTRY_URL", "ORDERFLOW_CONTROLLER_PORT",
                 "ORDERFLOW_REGISTRY_MANAGEMENT_PORT"):
        monkeypatch.delenv(name, raising=False)
    assert Stack(tmp_path).env() == {"KAFKA_BOOTSTRAP_SERVERS": "localhost:9092",
                                     "SCHEMA_REGISTRY_URL": "http://localhost:8081/apis/ccompat/v7"}


def test_down_of_a_stack_never_started_is_a_no_op(tmp_path):
    Stack(tmp_path / "nothing").down(purge=True)
    assert not (tmp_path / "nothing").exists()


def test_logs_show_the_end_of_each_file_with_its_name(tmp_path):
    (tmp_path / "kafka.log").write_text("".join(f"k{i}\n" for i in range(10)))
    lines: list[str] = []
    tail({"kafka": tmp_path / "kafka.log", "registry": tmp_path / "registry.log"}, 2, False, lines.append)
    assert lines == ["kafka    | k8", "kafka    | k9", f"registry | (no log yet at {tmp_path / 'registry.log'})"]


def test_cluster_id_never_starts_with_a_dash():
    # 0xF8 encodes as "-" in URL-safe base64: the storage tool would take such an id for an option
    drawn = iter([uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(bytes=b"\x07" + bytes(15))])
    cluster_id = new_cluster_id(lambda: next(drawn))
    assert cluster_id == base64.urlsafe_b64encode(b"\x07" + bytes(15)).decode().rstrip("=")
    assert len(cluster_id) == 22
