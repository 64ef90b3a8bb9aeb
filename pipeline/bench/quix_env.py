"""A virtualenv of its own for Quix Streams, created on first use in the cache directory.

Quix Streams pins its own confluent-kafka (older than this project's), so it
cannot share the project's environment. The venv is made once per pinned
version and reused; only pip's ordinary install from PyPI is used.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from platformdirs import user_cache_dir
from rich.console import Console

QUIX_VERSION = "3.28.1"
VENV_DIR = Path(user_cache_dir("orderflow")) / f"quix-venv-{QUIX_VERSION}"
JOB = Path(__file__).with_name("quix_job.py")


def python(console: Console) -> Path:
    """The Quix venv's interpreter, creating the venv first if needed."""
    interpreter = VENV_DIR / "bin" / "python"
    marker = VENV_DIR / ".installed"
    if marker.exists():
        return interpreter
    with console.status(f"creating the Quix Streams {QUIX_VERSION} venv in {VENV_DIR} (once)..."):
        if not interpreter.exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV_DIR)], check=True)
        found = subprocess.run([str(interpreter), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                                f"quixstreams[avro]=={QUIX_VERSION}"], capture_output=True, text=True)
        if found.returncode != 0:
            raise RuntimeError(f"pip install quixstreams=={QUIX_VERSION} into {VENV_DIR} failed:\n{found.stderr}")
    marker.write_text(QUIX_VERSION + "\n")
    return interpreter
