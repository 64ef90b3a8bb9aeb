"""Benchmark results as JSON files: one per run, with the machine and settings that made it.

A figure without the machine, the versions and the settings behind it cannot be
compared or reproduced, so every run file carries all three. Files are named
``<benchmark>-<UTC time>.json``; :func:`latest` finds the newest of a benchmark.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import click
import psutil

from pipeline.bench.quix_env import QUIX_VERSION
from pipeline.stack import manifest

#: bench/results/ of the source tree (the README's figures come from there)
RESULTS_DIR = Path(__file__).resolve().parents[2] / "bench" / "results"
PACKAGES = ("orderflow", "faust-streaming", "aiokafka", "confluent-kafka", "fastavro", "rocksdict")

results_option = click.option(
    "--results-dir", type=click.Path(path_type=Path), default=RESULTS_DIR, show_default=True,
    help="Where run files (JSON) are written.")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_commit() -> str | None:
    try:
        found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=RESULTS_DIR.parents[1],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return found.stdout.strip() or None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def machine() -> dict:
    """What ran the benchmark: cores, CPU, memory, load, OS, Python and package versions."""
    components = manifest.load()
    versions = {name: _version(name) for name in PACKAGES}
    versions.update(python=platform.python_version(), kafka=components["kafka"].version,
                    apicurio=components["apicurio"].version, quixstreams=f"{QUIX_VERSION} (own venv)")
    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average": [round(load, 2) for load in os.getloadavg()],
        "os": f"{platform.system()} {platform.release()}",
        "versions": versions,
        "commit": _git_commit(),
    }


def save(benchmark: str, settings: dict, results: dict, directory: Path = RESULTS_DIR,
         started: datetime | None = None) -> Path:
    """Write one run file and return its path."""
    started = started or datetime.now(UTC)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{benchmark}-{started:%Y%m%dT%H%M%SZ}.json"
    record = {"benchmark": benchmark, "started": started.isoformat(timespec="seconds"),
              "machine": machine(), "settings": settings, "results": results}
    path.write_text(json.dumps(record, indent=1, default=str) + "\n")
    return path


def latest(benchmark: str, *directories: Path) -> dict | None:
    """The newest run file of ``benchmark`` in the first directory that has one."""
    for directory in directories:
        runs = sorted(Path(directory).glob(f"{benchmark}-*.json"))
        if runs:
            record = json.loads(runs[-1].read_text())
            record["file"] = runs[-1].name
            return record
    return None
