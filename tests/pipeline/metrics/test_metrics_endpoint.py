"""``GET /metrics`` of a live worker: Prometheus text, every documented name, the
saga's counters moved by the events that should move them, and a Grafana
dashboard that only asks for names the worker exports.
"""
from __future__ import annotations

import asyncio
import json
import re
import uuid
from pathlib import Path

import pytest
import yaml

from support.events import deposit, order, outcomes_for, publish, publish_raw, stock
from support.metrics import scrape, value, wait_until
from support.workers import WorkerProcess

ROOT = Path(__file__).resolve().parents[3]
GRAFANA = ROOT / "deploy" / "grafana"


def documented_names() -> set[str]:
    """The names in the first column of the README's metrics table."""
    section = ROOT.joinpath("README.md").read_text().split("\n## Metrics\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `orderflow_")]
    return {name for row in rows for name in re.findall(r"`(orderflow_\w+)`", row.split(" | ")[0])}


@pytest.fixture(scope="module")
def exported(kafka_stack, tmp_path_factory):
    """Scrape of a worker that decided one order of each outcome and dead-lettered one message."""
    prefix = f"metrics-{uuid.uuid4().hex[:8]}-"
    sku, scarce, user = f"{prefix}sku", f"{prefix}none", f"{prefix}user"
    worker = WorkerProcess(tmp_path_factory.mktemp("metrics") / "data").start()
    try:
        worker.wait_ready()
        asyncio.run(publish(kafka_stack, "stock", [stock(sku, 5)]))
        asyncio.run(publish(kafka_stack, "deposits", [deposit(user, "100.00")]))
        asyncio.run(publish(kafka_stack, "orders", [
            order(f"{prefix}ok", user, [(sku, 1, "10.00")]),
            order(f"{prefix}scarce", user, [(scarce, 1, "10.00")]),
            order(f"{prefix}poor", user, [(sku, 1, "500.00")]),
            order(f"{prefix}invalid", user, [(sku, 1, "10.00")], total="11.00"),
        ]))
        asyncio.run(publish_raw(kafka_stack, "orders", f"{prefix}bad".encode(), b"not avro"))
        outcomes = asyncio.run(outcomes_for(kafka_stack, prefix, expected=4))
        assert len(outcomes) == 4, outcomes

        def counted() -> tuple | None:  # lag and table sizes appear with their first collection
            content_type, found = scrape(worker.url)
            if (value(found, "orderflow_dead_letters_total", topic="orders") and "orderflow_consumer_lag" in found
                    and value(found, "orderflow_table_keys", table="orders")):
                return content_type, found
            return None

        return wait_until(counted, "lag, table sizes and a dead letter count in /metrics")
    finally:
        worker.stop()


def test_metrics_is_prometheus_text_with_every_documented_name(exported):
    content_type, found = exported
    assert content_type.startswith("text/plain; version=0.0.4")
    names = documented_names()
    assert len(names) >= 12
    assert not names - set(found), f"documented but not exported: {sorted(names - set(found))}"
    undocumented = {name for name in found if name.startswith("orderflow_")
                    and re.sub(r"_(total|bucket|count|sum|created)$", "", name) not in
                    {re.sub(r"_total$", "", n) for n in names}}
    assert not undocumented, f"exported but not documented: {sorted(undocumented)}"


def test_saga_counters_follow_the_events(exported):
    _, found = exported
    assert value(found, "orderflow_dead_letters_total", topic="orders", reason="not-wire-format") >= 1
    for reason in ("OUT_OF_STOCK", "INSUFFICIENT_FUNDS", "INVALID_ORDER"):
        assert value(found, "orderflow_order_rejections_total", reason=reason) >= 1, reason
    assert value(found, "orderflow_order_latency_seconds_count", status="CONFIRMED") >= 1
    assert value(found, "orderflow_order_latency_seconds_count", status="REJECTED") >= 3
    assert value(found, "orderflow_messages_in_total", agent="place_order", topic="orders") >= 4
    assert value(found, "orderflow_events_out_total", agent="track_order", topic="order-outcomes") >= 1
    assert value(found, "orderflow_events_out_total", agent="place_order", topic="orders.dlq") >= 1
    assert value(found, "orderflow_table_keys", table="orders") >= 4
    assert value(found, "orderflow_rebalances_total") >= 1
    lag_topics = {s.labels["topic"] for s in found["orderflow_consumer_lag"]}
    assert {"orders", "orderflow-orders", "orderflow-order-events"} <= lag_topics


def test_grafana_dashboard_asks_only_for_exported_names(exported):
    _, found = exported
    dashboard = json.loads((GRAFANA / "dashboards" / "orderflow.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used = {name for expr in exprs for name in re.findall(r"\borderflow_\w+", expr)}
    assert {"orderflow_consumer_lag", "orderflow_messages_in_total", "orderflow_events_out_total",
            "orderflow_order_latency_seconds_bucket", "orderflow_dead_letters_total"} <= used
    assert not used - set(found), f"the dashboard queries unknown metrics: {sorted(used - set(found))}"


def test_grafana_is_provisioned_with_the_dashboard_and_prometheus():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    mounts = dict(volume.rsplit(":", 1)[0].split(":", 1) for volume in compose["grafana"]["volumes"])
    (datasource,) = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())["datasources"]
    assert datasource["url"] == f"http://prometheus:{compose['prometheus']['ports'][0].split(':')[1]}"
    (provider,) = yaml.safe_load((GRAFANA / "provisioning/dashboards/orderflow.yml").read_text())["providers"]
    assert mounts["./deploy/grafana/dashboards"] == provider["options"]["path"]
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    dashboard = json.loads((GRAFANA / "dashboards" / "orderflow.json").read_text())
    uids = {target["datasource"]["uid"] for panel in dashboard["panels"] for target in panel["targets"]}
    assert uids == {datasource["uid"]}
