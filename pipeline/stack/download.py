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
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TransferSpeedColumn

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


def ensure(*components: Component, console: Console | None = None) -> dict[str, list[Artifact]]:
    """Make every artifact of ``components`` present and valid in their cache dirs.

    Downloads run in parallel under one progress bar per component. Returns, by component name,
    the artifacts that had to be (re)fetched. Raises :class:`StackError` naming the artifact,
    its URL and the cache path when a download or its checksum fails.
    """
    jobs = [(c, a) for c in components for a in c.artifacts]
    for component in components:
        component.cache_dir.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(WORKERS) as pool:
        valid = list(pool.map(lambda job: is_valid(job[0].cache_dir / job[1].file, job[1]), jobs))
    missing = [job for job, ok in zip(jobs, valid) if not ok]
    fetched: dict[str, list[Artifact]] = {c.name: [] for c in components}
    if not missing:
        return fetched
    progress = Progress(
        TextColumn("[bold]{task.description}[/]"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
        TextColumn("{task.fields[files]}"),
        console=console or Console(stderr=True), transient=True,
    )
    with progress:
        tasks = {}
        for component in components:
            todo = [a for c, a in missing if c is component]
            if todo:
                tasks[component.name] = progress.add_task(
                    f"{component.name} {component.version}", total=sum(a.size for a in todo),
                    files=f"{len(todo)} files")

        def fetch(job: tuple[Component, Artifact]) -> None:
            component, artifact = job
            _fetch(artifact, component.cache_dir / artifact.file, progress, tasks[component.name])
            fetched[component.name].append(artifact)

        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(fetch, missing))
    return fetched


def _fetch(artifact: Artifact, path: Path, progress: Progress, task: TaskID) -> None:
    part = path.with_name(path.name + ".part")
    try:
        with urllib.request.urlopen(artifact.url, timeout=60) as answer, part.open("wb") as out:
            while chunk := answer.read(CHUNK):
                out.write(chunk)
                progress.advance(task, len(chunk))
    except OSError as error:
        part.unlink(missing_ok=True)
        raise StackError(f"download of {artifact.coords} from {artifact.url} to {path} failed: {error}") from error
    actual = digest_of(part, artifact.algorithm)
    if actual != artifact.digest:
        part.unlink(missing_ok=True)
        raise StackError(f"{artifact.algorithm} of {artifact.url} is {actual}, expected {artifact.digest} "
                         f"(not saved to {path})")
    part.replace(path)
