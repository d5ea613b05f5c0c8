"""The job that runs the whole pipeline and its nightly schedule."""

from __future__ import annotations

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    ScheduleDefinition,
    define_asset_job,
    in_process_executor,
)

PIPELINE_JOB_NAME = "jeugdhulp_pipeline"

# One step at a time: the working DuckDB file allows a single writer.
pipeline_job = define_asset_job(
    PIPELINE_JOB_NAME,
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="Landing → raw → dbt (staging, intermediate, marts) → blocking checks → publish.",
)

nightly_schedule = ScheduleDefinition(
    name="nightly_pipeline",
    job=pipeline_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/Amsterdam",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every night at 02:00 Amsterdam time: ingest the landing folder and republish.",
)
