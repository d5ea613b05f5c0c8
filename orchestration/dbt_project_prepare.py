"""Build the dbt manifest (`dbt parse`) when it is missing or older than the dbt sources.

Dagster reads target/manifest.json to build the asset graph; only `dagster dev` builds it by
itself. The Makefile, the CLI and the test fixture call `ensure_manifest()`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from orchestration.config import DBT_PROJECT_DIR

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
# Everything dbt parses into the manifest (the paths of dbt_project.yml, tests included).
_SOURCES = ("models", "macros", "seeds", "tests", "dbt_project.yml", "profiles.yml")


def _newest_source_mtime(project_dir: Path) -> float:
    newest = 0.0
    for name in _SOURCES:
        path = project_dir / name
        paths = [path] if path.is_file() else path.rglob("*") if path.is_dir() else []
        for p in paths:
            if p.is_file():
                newest = max(newest, p.stat().st_mtime)
    return newest


def manifest_is_stale(project_dir: Path = DBT_PROJECT_DIR) -> bool:
    manifest = project_dir / "target" / "manifest.json"
    return not manifest.is_file() or manifest.stat().st_mtime < _newest_source_mtime(project_dir)


def ensure_manifest(force: bool = False) -> Path:
    """Run `dbt parse` if needed; return the manifest path. Raises RuntimeError on failure."""
    if force or manifest_is_stale():
        os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        from dbt.cli.main import dbtRunner

        args = [
            "parse",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--quiet",
        ]
        result = dbtRunner().invoke(args)
        if not result.success:
            raise RuntimeError(f"dbt parse failed: {result.exception}")
    return MANIFEST


if __name__ == "__main__":
    path = ensure_manifest(force="--force" in sys.argv)
    print(f"dbt manifest ready: {path}")
