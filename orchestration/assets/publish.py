"""The published warehouse as a Dagster asset: runs only after every blocking check passed."""

from collections.abc import Sequence

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)

from orchestration.config import load_settings
from orchestration.publish import publish_marts

PUBLISHED_WAREHOUSE = AssetKey(["published", "warehouse"])


def mart_keys(dbt_assets: AssetsDefinition) -> list[AssetKey]:
    return sorted(k for k in dbt_assets.keys if k.path[0] == "marts")


def build_publish_asset(marts: Sequence[AssetKey]) -> AssetsDefinition:
    tables = [k.path[-1] for k in marts]

    @asset(
        key=PUBLISHED_WAREHOUSE,
        deps=list(marts),
        group_name="published",
        owners=["team:jeugdhulp-data"],
        kinds={"duckdb"},
        tags={"layer": "published"},
        description=(
            "The analysts' warehouse (JEUGDHULP_WAREHOUSE): the marts, copied from the working "
            "database only after every blocking check passed, swapped in atomically "
            "(write-audit-publish, DEFINITIONS §7). Holds no raw data, quarantine or BSN."
        ),
    )
    def published_warehouse(context: AssetExecutionContext) -> MaterializeResult:
        settings = load_settings()
        result = publish_marts(
            settings.working_db_path,
            settings.warehouse,
            tables,
            peildatum=settings.peildatum,
            run_id=context.run.run_id,
        )
        context.log.info(f"Published {len(result.tables)} tables to {result.warehouse}")
        return MaterializeResult(
            metadata={
                "path": MetadataValue.path(str(result.warehouse)),
                "tables": MetadataValue.json(result.tables),
                "peildatum": settings.peildatum.isoformat(),
                "published_at": result.published_at,
            }
        )

    return published_warehouse
