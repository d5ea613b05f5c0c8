"""The job that runs the whole pipeline and its nightly schedule."""

from __future__ import annotations

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
    in_process_executor,
    schedule,
)

from orchestration.config import FULL_REBUILD_TAG

PIPELINE_JOB_NAME = "jeugdhulp_pipeline"
FULL_REBUILD_WEEKDAY = 6
"""Sunday (Monday is 0): the night the schedule rebuilds everything from nothing."""

# One step at a time: the working DuckDB file allows a single writer.
pipeline_job = define_asset_job(
    PIPELINE_JOB_NAME,
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="Landing → raw → dbt (staging, intermediate, marts) → blocking checks → publish.",
)


@schedule(
    name="nightly_pipeline",
    job=pipeline_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/Amsterdam",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every night at 02:00 Amsterdam time: ingest the landing folder and republish. "
    "Sunday night's run is a full rebuild (every file read, every mart built from nothing): it "
    "starts the published monthly fact afresh and so bounds how far the file grows.",
)
def nightly_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    """Tonight's run; on Sundays tagged for a full rebuild (docs/INCREMENTAL.md)."""
    when = context.scheduled_execution_time
    if when is not None and when.weekday() == FULL_REBUILD_WEEKDAY:
        return RunRequest(tags={FULL_REBUILD_TAG: "true"})
    return RunRequest()
