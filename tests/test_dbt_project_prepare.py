"""The manifest Dagster loads is rebuilt when anything dbt parses into it changed."""

from __future__ import annotations

import os
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
