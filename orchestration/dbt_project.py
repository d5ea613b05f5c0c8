"""The one cached DbtProject (kept in its own module so the manifest can be prepared before the
Dagster definitions load: `python -m orchestration.dbt_project_prepare`)."""

from __future__ import annotations

from dagster_dbt import DbtProject

from orchestration.config import DBT_PROJECT_DIR

jeugdhulp_dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
