"""`bench state` with 2,000 skus: memory, disk, both restarts and the restore are measured."""
from __future__ import annotations

import pytest


def test_state_figures(state_run):
    found = state_run["results"]
    assert found["skus"] == found["skus_in"] == 2_000 and found["seed_complete"]
    assert found["rss_mib"] > 0 and found["data_dir_mib"] > 0
    assert found["seed_s"] > 0 and found["seed_keys_per_s"] > 0
    assert found["restart_warm_s"] > 0 and found["restart_cold_s"] > 0
    assert found["restored_keys"] == 2_000 + 10 + 1
    assert found["restore_s"] == pytest.approx(found["restart_cold_s"] - found["restart_warm_s"], abs=0.02)
    assert [stop["exit_code"] for stop in found["stops"]] == [0, 0]  # clean stops keep the local state


def test_state_goals(state_run):
    rss, restart = state_run["results"]["goals"]
    assert rss["value"] is None and rss["met"] is None  # judged with 1,000,000 skus only
    assert restart["value"] == state_run["results"]["restart_warm_s"]
    assert restart["met"] == (restart["value"] <= restart["target"])
