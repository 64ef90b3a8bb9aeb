"""Fetch the stack's artifacts from Maven Central into the cache, verified by checksum.

Files already cached are re-hashed on every start so that a truncated or corrupted jar is
noticed and fetched again instead of crashing the JVM with an obscure class-loading error.
"""
from __future__ import annotations

import hashlib
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from pipeline.stack.errors import StackError
from pipeline.stack.manifest import Artifact, Component

CHUNK = 1 << 20
WORKERS = 8


def digest_of(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def is_valid(path: Path, artifact: Artifact) -> bool:
    return path.is_file() and digest_of(path, artifact.algorithm) == artifact.digest


def ensure(component: Component, console: Console | None = None) -> list[Artifact]:
    """Make every artifact of ``component`` present and valid in its cache dir.

    Returns the artifacts that had to be (re)fetched. Raises :class:`StackError` naming the
    artifact, URL and cache path when a download or its checksum fails.
    """
    target = component.cache_dir
    target.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(WORKERS) as pool:
        valid = list(pool.map(lambda a: is_valid(target / a.file, a), component.artifacts))
    missing = [a for a, ok in zip(component.artifacts, valid) if not ok]
    if not missing:
        return []
    progress = Progress(
        TextColumn(f"[bold]{component.name} {component.version}[/]"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TextColumn("{task.fields[done]}/{task.fields[count]} files"),
        console=console or Console(stderr=True),
        transient=True,
    )
    with progress:
        task = progress.add_task("download", total=sum(a.size for a in missing), done=0, count=len(missing))

        def fetch(artifact: Artifact) -> None:
            _fetch(artifact, target / artifact.file, progress, task)
            progress.update(task, done=progress.tasks[task].fields["done"] + 1)

        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(fetch, missing))
    return missing


def _fetch(artifact: Artifact, path: Path, progress: Progress, task) -> None:
    part = path.with_name(path.name + ".part")
    try:
        with urllib.request.urlopen(artifact.url, timeout=60) as answer, part.open("wb") as out:
            while chunk := answer.read(CHUNK):
                out.write(chunk)
                progress.advance(task, len(chunk))
    except OSError as error:
        part.unlink(missing_ok=True)
        raise StackError(f"download of {artifact.coords} from {artifact.url} failed: {error}") from error
    actual = digest_of(part, artifact.algorithm)
    if actual != artifact.digest:
        part.unlink(missing_ok=True)
        raise StackError(
            f"{artifact.algorithm} of {artifact.url} is {actual}, expected {artifact.digest} "
            f"(not saved to {path})"
        )
    part.replace(path)
