"""Resources shared by the assets."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
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
    """DbtCliResource without two start-up costs of every dbt run:

    * dbt's version comes from the installed dbt-core package instead of a `dbt --version`
      subprocess (3-4 s); dbt is pinned in pyproject.toml and runs from the same environment.
    * no dbt adapter is opened inside the Dagster process (3-4 s: profile, project and base
      macros loaded a second time). dagster-dbt uses that adapter only for
      `fetch_row_counts()` / `fetch_column_metadata()`, which this project does not call: row
      counts come from dbt's own log (macros/row_count.sql, `dbt.stream_with_table_metadata`).
    """

    @cached_property
    def _cli_version(self) -> Version:
        return Version(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None


def dbt_resource() -> DbtCliResource:
    return JeugdhulpDbtCliResource(
        project_dir=jeugdhulp_dbt_project, dbt_executable=dbt_executable()
    )
