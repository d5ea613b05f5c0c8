"""Build the dbt manifest (`dbt parse`) when it is missing, unreadable or older than the dbt
sources.

Dagster reads target/manifest.json to build the asset graph; only `dagster dev` builds it by
itself. The Makefile, the CLI and the test fixture call `ensure_manifest()`. Several processes
may call it at once (two `jeugdhulp run`s on a fresh clone): one parses while the others wait
on a lock, and the manifest is parsed into a folder of its own and renamed into place, so no
reader ever sees half a file. (Two dbt parses writing into the same target folder at once once
left a manifest with interleaved text, which every later run failed to read.)
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from orchestration.config import DBT_PROJECT_DIR

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


def _readable(manifest: Path) -> bool:
    try:
        with open(manifest, "rb") as f:
            return isinstance(json.load(f), dict)
    except (OSError, ValueError):
        return False


def manifest_is_stale(project_dir: Path = DBT_PROJECT_DIR) -> bool:
    manifest = project_dir / "target" / "manifest.json"
    return (
        not manifest.is_file()
        or manifest.stat().st_mtime < _newest_source_mtime(project_dir)
        or not _readable(manifest)
    )


@contextmanager
def _locked(target: Path) -> Iterator[None]:
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".manifest.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# What a parse leaves in the target folder that runs read: the manifest, and the parse state a
# run's dbt starts from (orchestration/dbt.py keep_parse_state).
_PARSED = ("partial_parse.msgpack", "manifest.json")


def ensure_manifest(force: bool = False, project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """Run `dbt parse` if needed; return the manifest path. Raises RuntimeError on failure."""
    target = project_dir / "target"
    with _locked(target):
        if force or manifest_is_stale(project_dir):
            os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
            from dbt.cli.main import dbtRunner

            parsed = Path(tempfile.mkdtemp(prefix=".parse-", dir=target))
            try:
                if (target / _PARSED[0]).is_file():  # dbt parses only what changed since
                    shutil.copyfile(target / _PARSED[0], parsed / _PARSED[0])
                args = [
                    "parse",
                    "--project-dir",
                    str(project_dir),
                    "--profiles-dir",
                    str(project_dir),
                    "--target-path",
                    str(parsed),
                    "--quiet",
                ]
                result = dbtRunner().invoke(args)
                if not result.success:
                    raise RuntimeError(f"dbt parse failed: {result.exception}")
                for name in _PARSED:  # the manifest last: it is what says "parsed"
                    if (parsed / name).is_file():
                        os.replace(parsed / name, target / name)
            finally:
                shutil.rmtree(parsed, ignore_errors=True)
    return target / "manifest.json"


if __name__ == "__main__":
    path = ensure_manifest(force="--force" in sys.argv)
    print(f"dbt manifest ready: {path}")
