"""`bench throughput` at a small size: every contender processes every order, and its run file says so."""
from __future__ import annotations

import pytest

from pipeline.bench.throughput import VARIANTS

ORDERS = 500


def test_machine_versions_and_settings_are_recorded(throughput_run):
    machine = throughput_run["machine"]
    assert machine["cores"] >= 1 and machine["memory_gib"] > 0
    assert machine["versions"]["faust-streaming"] and machine["versions"]["kafka"]
    settings = throughput_run["settings"]
    assert settings["orders"] == ORDERS and settings["commit_interval"] == 0.1
    assert settings["workload"]["orders"] == ORDERS and settings["workload"]["stock_per_sku"] > 0


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_each_contender_emits_one_outcome_per_order(throughput_run, variant):
    figures = throughput_run["results"]["variants"][variant]
    (run,) = figures["runs"]
    assert sum(run["outcomes"].values()) == ORDERS and run["complete"]
    if figures["guarantee"].startswith("exactly"):
        assert run["duplicates"] == 0
    assert run["rate"] > 0 and run["seconds"] >= run["first_output_s"] > 0
    assert figures["best"] == figures["median"] == run["rate"]
    assert run["peak_rss_mib"] > 0


def test_the_stateful_contenders_confirm_most_and_reject_the_bad_ones(throughput_run):
    variants = throughput_run["results"]["variants"]
    assert set(variants["aiokafka"]["runs"][0]["outcomes"]) == {"CONFIRMED"}
    for name in ("saga", "quix"):
        outcomes = variants[name]["runs"][0]["outcomes"]
        assert outcomes["CONFIRMED"] > ORDERS * 0.8, outcomes
        assert outcomes.get("REJECTED:INVALID_ORDER", 0) > 0, outcomes
    # the saga and Quix see the same orders, so they find the same invalid ones
    assert (variants["saga"]["runs"][0]["outcomes"]["REJECTED:INVALID_ORDER"]
            == variants["quix"]["runs"][0]["outcomes"]["REJECTED:INVALID_ORDER"])


def test_ratios_and_goals(throughput_run):
    found = throughput_run["results"]
    variants = found["variants"]
    assert found["ratios"]["saga/aiokafka"]["best"] == pytest.approx(
        variants["saga"]["best"] / variants["aiokafka"]["best"])
    assert set(found["ratios"]) == {"saga/aiokafka", "saga/aiokafka-tx", "saga/quix", "saga-2/saga"}
    assert found["ratios"]["saga-2/saga"]["median"] == pytest.approx(
        variants["saga-2"]["median"] / variants["saga"]["median"])
    tx_loop, quix, rate = found["goals"]
    assert tx_loop["value"] == found["ratios"]["saga/aiokafka-tx"]["best"] and tx_loop["target"] == 0.6
    assert quix["value"] == found["ratios"]["saga/quix"]["best"] and quix["target"] == 1.0
    assert rate["value"] == variants["saga"]["best"] and rate["target"] == 10_600
    assert all(goal["met"] in (True, False) for goal in found["goals"])


def test_the_profile_of_the_saga_run_names_functions(throughput_run):
    found = throughput_run["results"]["profile"]
    assert found["samples"] > 0
    assert 0 < found["top_own"][0]["share"] <= 1
    assert all(" (" in row["function"] for row in found["top_own"])


def test_records_per_order_are_counted_for_each_contender(throughput_run):
    variants = throughput_run["results"]["variants"]
    # the transactional loop writes exactly one committed outcome per order, and nothing else
    assert variants["aiokafka-tx"]["records"] == {"internal": 0, "changelog": 0, "output": 1.0,
                                                  "read": 1.0, "written": 1.0, "moved": 2.0}
    saga = variants["saga"]
    assert saga["runs"][0]["records"]["output"]["order-outcomes"] == ORDERS
    assert saga["records"]["output"] == 1.0  # and no dead letters
    # a confirmed order's reserve command, its reply, a payment request, its reply and a commit
    # command travel in bundles, records shared with other orders (pipeline.serde.bundle)
    assert saga["records"]["internal"] > 0 and "orderflow-stock-commands" in saga["runs"][0]["records"]["internal"]
    # the orders table alone is written when an order arrives and again when it is decided
    assert saga["records"]["changelog"] > 2
    assert saga["records"]["moved"] == pytest.approx(
        saga["records"]["read"] + saga["records"]["written"]) and saga["records"]["read"] == pytest.approx(
        1 + saga["records"]["internal"])
    quix = variants["quix"]["records"]
    assert quix["output"] == 1.0 and quix["internal"] > 2 and quix["changelog"] > 0
