"""How the records a contender wrote are sorted and summed per order."""
from __future__ import annotations

import pytest

from pipeline.bench import records, throughput


@pytest.mark.parametrize("topic, kind", [
    ("orderflow-orders-changelog", "changelog"),
    ("changelog__bench-quix-1--repartition.orders.sku.stock--default", "changelog"),
    ("order-outcomes", "output"),
    ("orders.dlq", "output"),
    ("orderflow-stock-commands", "internal"),
    ("repartition__bench-quix-1--orders--sku", "internal"),
])
def test_each_topic_is_internal_a_changelog_or_an_output(topic, kind):
    assert records.kind(topic, output="order-outcomes") == kind


def test_per_order_figures_count_internal_records_twice():
    grouped = records.by_kind({"order-outcomes": 100, "orders.dlq": 0, "cmds": 300, "replies": 200,
                               "t-changelog": 500}, "order-outcomes")
    assert grouped == {"internal": {"cmds": 300, "replies": 200}, "changelog": {"t-changelog": 500},
                       "output": {"order-outcomes": 100, "orders.dlq": 0}}
    per = records.PerOrder.of(grouped, orders=100)
    assert (per.read, per.written, per.moved) == (6.0, 11.0, 17.0)
    assert records.rows({"saga": {"label": "saga", "best": 10.0, "records": per.as_dict()}}) == [
        ["saga", "6.00", "5.00", "5.00", "1.00", "17.00", "170"]]
    assert records.rows({"old": {"label": "old", "best": 10.0}}) == []  # a run file from before the counts


def test_an_incomplete_run_counts_per_order_with_an_outcome():
    grouped = records.by_kind({"out": 50, "cmds": 100}, "out")
    run = throughput.Run("aiokafka", rate=1.0, seconds=50.0, first_output_s=1.0, peak_rss_mib=1.0,
                         outcomes={"CONFIRMED": 50}, complete=False, records=grouped)
    summary = throughput.summarize([run], throughput.Options(orders=100, repeat=1, variants=("aiokafka",)))
    assert summary["variants"]["aiokafka"]["records"]["internal"] == 2.0  # not 1.0: 50 of 100 orders done
