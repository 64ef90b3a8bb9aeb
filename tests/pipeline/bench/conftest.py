"""Each benchmark run end to end at a small size against the session's stack, once.

The fixtures return the run file each benchmark wrote (read back as JSON), so
the tests check what the README is made from, not objects in memory.
"""
from __future__ import annotations

import json

import pytest
from rich.console import Console

from pipeline.bench import latency, profile, results, state, throughput
from pipeline.bench.cluster import reset_saga
from pipeline.settings import Settings

ORDERS, USERS, SKUS = 500, 100, 50


@pytest.fixture(scope="session")
def bench_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bench-results")


@pytest.fixture(scope="session")
def console():
    return Console(width=140, force_terminal=False)


def saved(name: str, record: dict, directory) -> dict:
    """The run file of ``record``, read back; the saga topics are emptied for the tests that follow."""
    reset_saga(Settings.from_env(), inputs=True)
    path = results.save(name, record["settings"], record["results"], directory)
    return json.loads(path.read_text())


@pytest.fixture(scope="session")
def throughput_run(kafka_stack, bench_dir, console, tmp_path_factory):
    options = throughput.Options(orders=ORDERS, repeat=1, users=USERS, skus=SKUS, stall=300,
                                 work_dir=tmp_path_factory.mktemp("throughput"))
    sampler = profile.Sampler(options.work_dir)
    record = throughput.run(Settings.from_env(), console, options, sampler.attach)
    record["results"]["profile"] = sampler.summary()
    return saved("throughput", record, bench_dir)


@pytest.fixture(scope="session")
def latency_run(kafka_stack, bench_dir, console, tmp_path_factory):
    options = latency.Options(rates=(20, 40), duration=3, drain=120, users=USERS, skus=SKUS,
                              work_dir=tmp_path_factory.mktemp("latency"))
    return saved("latency", latency.run(Settings.from_env(), console, options), bench_dir)


@pytest.fixture(scope="session")
def state_run(kafka_stack, bench_dir, console, tmp_path_factory):
    options = state.Options(skus=2_000, seed_timeout=600, work_dir=tmp_path_factory.mktemp("state"))
    return saved("state", state.run(Settings.from_env(), console, options), bench_dir)


@pytest.fixture(scope="session")
def profile_run(kafka_stack, bench_dir, console, tmp_path_factory):
    options = throughput.Options(orders=300, users=USERS, skus=SKUS, stall=300,
                                 work_dir=tmp_path_factory.mktemp("profile"))
    return saved("profile", profile.run(Settings.from_env(), console, options, top=10), bench_dir)
