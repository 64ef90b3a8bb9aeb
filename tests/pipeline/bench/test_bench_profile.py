"""`bench profile`: py-spy samples of a saga worker, and the parsing of py-spy's raw format."""
from __future__ import annotations

import pytest

from pipeline.bench.profile import package_of, parse, slow_commits

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
    assert found["slow_commits"]["count"] >= 0


def test_slow_commits_come_from_the_consumers_warnings():
    log = ("[2026-11-29 06:57:20,449] [1] [WARNING] [^--Consumer]: Commit round outlasted the commit interval "
           "(interval=0.1 runtime=5.0) \n"
           "[2026-11-29 06:57:21,397] [1] [WARNING] Timer livelock is overlapping (interval=0.25 runtime=0.8) \n"
           "[2026-11-29 06:57:23,415] [1] [WARNING] [^--Consumer]: Commit round outlasted the commit interval "
           "(interval=0.1 runtime=1.0) \n")
    assert slow_commits(log) == {"count": 2, "seconds": 6.0, "median_s": 3.0, "max_s": 5.0}
    assert slow_commits("") == {"count": 0}
