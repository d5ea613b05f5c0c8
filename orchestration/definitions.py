"""The one Definitions object of the code location (workspace.yaml loads this module)."""

from __future__ import annotations

from dagster import Definitions

from orchestration.assets.ingest import landing_ingest
from orchestration.assets.publish import (
    build_publish_asset,
    indicator_report,
    mart_keys,
    parquet_export,
)
from orchestration.checks.asset_checks import build_mart_checks
from orchestration.checks.coverage import build_coverage_checks
from orchestration.dbt import jeugdhulp_dbt_assets
from orchestration.resources import dbt_resource
from orchestration.schedules import nightly_schedule, pipeline_job
from orchestration.sensors import landing_sensor

defs = Definitions(
    assets=[
        landing_ingest,
        jeugdhulp_dbt_assets,
        build_publish_asset(mart_keys(jeugdhulp_dbt_assets)),
        parquet_export,
        indicator_report,
    ],
    asset_checks=[*build_mart_checks(), *build_coverage_checks()],
    jobs=[pipeline_job],
    schedules=[nightly_schedule],
    sensors=[landing_sensor],
    resources={"dbt": dbt_resource()},
)
