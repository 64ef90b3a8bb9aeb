"""docker-compose.yml cannot run here; check that it parses and agrees with the README and contract."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from pipeline.settings import DEFAULT_BOOTSTRAP, DEFAULT_REGISTRY_URL, DEFAULT_WEB_PORT
from pipeline.stack import manifest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def published(service: dict) -> dict[int, int]:
    """Host port -> container port."""
    return {int(host): int(container) for host, container in (p.split(":") for p in service.get("ports", []))}


def test_services(services):
    assert set(services) == {"kafka", "schema-registry", "worker", "prometheus", "grafana"}
    assert services["kafka"]["image"] == f"apache/kafka:{manifest.load()['kafka'].version}"
    assert services["schema-registry"]["image"].startswith("confluentinc/cp-schema-registry:")
    assert services["worker"]["build"] == "."
    assert services["worker"]["command"] == ["orderflow", "worker"]
    assert "orderflow" in (ROOT / "Dockerfile").read_text()


def test_host_ports_are_the_contract_defaults(services):
    kafka_port = int(DEFAULT_BOOTSTRAP.rsplit(":", 1)[1])
    registry_port = urlparse(DEFAULT_REGISTRY_URL).port
    assert published(services["kafka"]) == {kafka_port: kafka_port}
    assert published(services["schema-registry"]) == {registry_port: registry_port}
    assert published(services["worker"]) == {DEFAULT_WEB_PORT: DEFAULT_WEB_PORT}
    kafka_env = services["kafka"]["environment"]
    assert f"EXTERNAL://localhost:{kafka_port}" in kafka_env["KAFKA_ADVERTISED_LISTENERS"]


def test_worker_environment_points_at_the_services(services):
    env = services["worker"]["environment"]
    assert env["ORDERFLOW_WEB_PORT"] == str(DEFAULT_WEB_PORT)
    assert env["SCHEMA_REGISTRY_URL"] == "http://schema-registry:8081"
    registry_env = services["schema-registry"]["environment"]
    assert registry_env["SCHEMA_REGISTRY_LISTENERS"].endswith(":8081")
    assert registry_env["SCHEMA_REGISTRY_SCHEMA_COMPATIBILITY_LEVEL"] == "BACKWARD"
    kafka_env = services["kafka"]["environment"]
    advertised = kafka_env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    assert any(listener.endswith(f"//{env['KAFKA_BOOTSTRAP_SERVERS']}") for listener in advertised)
    assert env["KAFKA_BOOTSTRAP_SERVERS"] in registry_env["SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS"]


def test_kafka_settings_match_the_local_stack(services):
    env = services["kafka"]["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    for name in ("OFFSETS_TOPIC_REPLICATION_FACTOR", "TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
                 "TRANSACTION_STATE_LOG_MIN_ISR", "NUM_PARTITIONS"):
        assert env[f"KAFKA_{name}"] == "1"
    assert env["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"] == "0"


def test_prometheus_scrapes_the_workers(services):
    mount = next(v for v in services["prometheus"]["volumes"] if v.endswith("/etc/prometheus/prometheus.yml:ro"))
    config = yaml.safe_load((ROOT / mount.split(":")[0]).read_text())
    (job,) = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    (discovery,) = job["dns_sd_configs"]
    assert discovery["names"] == ["worker"] and discovery["port"] == DEFAULT_WEB_PORT


def test_readme_describes_the_compose_file(services):
    assert "docker compose up --build" in README
    for name in services:
        assert f"| {name} |" in README
    assert "`localhost:9092`" in README and "`http://localhost:8081`" in README
    assert f"`http://localhost:{DEFAULT_WEB_PORT}`" in README
    assert f"`{services['worker']['environment']['SCHEMA_REGISTRY_URL']}`" in README
    assert "SCHEMA_REGISTRY_URL=http://localhost:8081" in README
