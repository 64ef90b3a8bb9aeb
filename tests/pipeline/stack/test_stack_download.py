"""Downloads from Maven Central are checked against the manifest's published checksums."""
from __future__ import annotations

import dataclasses

import pytest

from pipeline.stack import StackError, download, manifest


@pytest.fixture
def component(tmp_path, monkeypatch) -> manifest.Component:
    """The smallest jar of the Kafka manifest as a one-artifact component in a private cache."""
    monkeypatch.setenv("ORDERFLOW_CACHE_DIR", str(tmp_path))
    smallest = min(manifest.load()["kafka"].artifacts, key=lambda artifact: artifact.size)
    return manifest.Component("probe", "1", (smallest,))


def test_corrupted_artifact_is_fetched_again(component):
    artifact = component.artifacts[0]
    path = component.cache_dir / artifact.file
    assert download.ensure(component) == {"probe": [artifact]}
    good = path.read_bytes()
    path.write_bytes(good[:-16] + bytes(16))  # same size, different content

    assert download.ensure(component) == {"probe": [artifact]}
    assert path.read_bytes() == good
    assert download.ensure(component) == {"probe": []}


def test_checksum_mismatch_is_refused(component):
    wrong = dataclasses.replace(component.artifacts[0], digest="0" * 64)
    with pytest.raises(StackError, match=wrong.url.replace(".", r"\.")):
        download.ensure(dataclasses.replace(component, artifacts=(wrong,)))
    assert list(component.cache_dir.iterdir()) == []


def test_manifest_pins_every_artifact_on_maven_central():
    for component in manifest.load().values():
        assert component.artifacts
        for artifact in component.artifacts:
            assert artifact.url.startswith("https://repo1.maven.org/maven2/")
            assert artifact.url.endswith("/" + artifact.file)
            assert len(artifact.digest) == {"sha1": 40, "sha256": 64}[artifact.algorithm]
