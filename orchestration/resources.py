"""Resources shared by the assets."""

from __future__ import annotations

import shutil
import sys
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

from dagster_dbt import DbtCliResource
from packaging.version import Version

from orchestration.dbt_project import jeugdhulp_dbt_project


def dbt_executable() -> str:
    """dbt from this interpreter's environment (the venv), else from PATH."""
    candidate = Path(sys.executable).parent / "dbt"
    if candidate.exists():
        return str(candidate)
    return shutil.which("dbt") or "dbt"


class JeugdhulpDbtCliResource(DbtCliResource):
    """DbtCliResource that takes dbt's version from the installed dbt-core package instead of
    starting `dbt --version` (a 3-4 s subprocess) before every run; dbt is pinned in
    pyproject.toml and runs from the same environment."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(installed_version("dbt-core"))


def dbt_resource() -> DbtCliResource:
    return JeugdhulpDbtCliResource(
        project_dir=jeugdhulp_dbt_project, dbt_executable=dbt_executable()
    )
