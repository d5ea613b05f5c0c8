"""Resources shared by the assets."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource

from orchestration.dbt_project import jeugdhulp_dbt_project


def dbt_executable() -> str:
    """dbt from this interpreter's environment (the venv), else from PATH."""
    candidate = Path(sys.executable).parent / "dbt"
    if candidate.exists():
        return str(candidate)
    return shutil.which("dbt") or "dbt"


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=jeugdhulp_dbt_project, dbt_executable=dbt_executable())
