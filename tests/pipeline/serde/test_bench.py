"""The serde benchmark runs end to end and reports every contender (figures are not asserted)."""
from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from pipeline.cli import main


def test_orderflow_bench_serde_prints_all_rows_and_the_registry_used():
    result = CliRunner().invoke(main, ["bench", "serde", "--records", "200", "--rounds", "1", "--registry", "mock"],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for row in ("decode v2 -> v2", "decode v1 -> v2", "encode v2 (dict)", "encode v2 (model)"):
        assert row in result.output
    assert "serde / fastavro" in result.output and "serde / confluent" in result.output
    assert "mock://" in result.output


def test_module_entry_point_runs():
    done = subprocess.run([sys.executable, "-m", "pipeline.bench.serde", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "--records" in done.stdout
