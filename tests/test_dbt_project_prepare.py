"""The manifest Dagster loads is rebuilt when anything dbt parses into it changed."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from orchestration.dbt_project_prepare import manifest_is_stale


@pytest.mark.parametrize(
    "source",
    ["models/m.sql", "macros/x.sql", "seeds/s.csv", "tests/singular.sql", "dbt_project.yml"],
)
def test_a_newer_source_makes_the_manifest_stale(tmp_path: Path, source: str) -> None:
    manifest = tmp_path / "target" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text("{}")
    path = tmp_path / source
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("select 1")
    os.utime(path, (1_000, 1_000))
    os.utime(manifest, (2_000, 2_000))
    assert not manifest_is_stale(tmp_path)
    os.utime(path, (3_000, 3_000))
    assert manifest_is_stale(tmp_path)


def test_an_unreadable_manifest_is_stale(tmp_path: Path) -> None:
    manifest = tmp_path / "target" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text('{"nodes": {"a": 1, ""b": 2}}')  # interleaved writes left such text
    assert manifest_is_stale(tmp_path)
    manifest.write_text('{"nodes": {}}')
    assert not manifest_is_stale(tmp_path)


@pytest.mark.slow
def test_ensure_manifest_replaces_an_unreadable_manifest_in_one_piece(tmp_path: Path) -> None:
    from orchestration.config import DBT_PROJECT_DIR
    from orchestration.dbt_project_prepare import _SOURCES, ensure_manifest

    project = tmp_path / "dbt_project"
    project.mkdir()
    for name in _SOURCES:
        source = DBT_PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(source, project / name)
        else:
            shutil.copy(source, project / name)
    (project / "target").mkdir()
    (project / "target" / "manifest.json").write_text('{"nodes": {""')
    path = ensure_manifest(project_dir=project)
    assert path == project / "target" / "manifest.json"
    assert "model.jeugdhulp.fct_trajectories" in json.loads(path.read_text())["nodes"]
    assert not manifest_is_stale(project)
    # the parse happened in a folder of its own, gone now; its state is kept for the next parse
    assert sorted(p.name for p in (project / "target").iterdir()) == [
        ".manifest.lock",
        "manifest.json",
        "partial_parse.msgpack",
    ]
