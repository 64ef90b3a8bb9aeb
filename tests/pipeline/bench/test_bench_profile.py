"""`bench profile`: py-spy samples of a saga worker, and the parsing of py-spy's raw format."""
from __future__ import annotations

import pytest

from pipeline.bench.profile import package_of, parse

RAW = """\
main (app.py:1);loop (asyncio/base_events.py:10);decode (pipeline/serde/codec.py:64) 6
main (app.py:1);loop (asyncio/base_events.py:10);write (asyncio/selector_events.py:1037) 3
main (app.py:1);json (json/__init__.py:5) 1
"""


def test_parse_counts_own_and_total_samples():
    found = parse(RAW, top=3)
    assert found["samples"] == 10
    assert found["top_own"][0] == {"function": "decode (pipeline/serde/codec.py:64)", "samples": 6, "share": 0.6}
    assert found["top_total"][0] == {"function": "main (app.py:1)", "samples": 10, "share": 1.0}
    assert found["top_total"][1]["samples"] == 9  # loop: on the stack of 9 samples
    assert [row["function"] for row in found["by_package"]] == ["pipeline", "asyncio", "json"]


@pytest.mark.parametrize("frame, package", [
    ("decode (pipeline/serde/codec.py:64)", "pipeline"),
    ("select (selectors.py:451)", "selectors"),
    ("_run_code (<frozen runpy>:65)", "<frozen runpy>"),
])
def test_package_of(frame, package):
    assert package_of(frame) == package


def test_profile_run_file(profile_run):
    found = profile_run["results"]
    assert found["orders_per_s"] > 0 and found["seconds"] > 0
    shares = [row["share"] for row in found["by_package"]]
    assert shares == sorted(shares, reverse=True) and 0 < sum(shares) <= 1
    assert len(found["top_own"]) <= 10 and found["top_own"][0]["samples"] >= found["top_own"][-1]["samples"]
    assert profile_run["settings"]["variants"] == ["saga"]
