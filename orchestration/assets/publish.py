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
            duckdb_config=settings.duckdb_config(),
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


PARQUET_EXPORT = AssetKey(["published", "parquet_export"])
INDICATOR_REPORT = AssetKey(["published", "indicator_report"])


@asset(
    key=PARQUET_EXPORT,
    deps=[PUBLISHED_WAREHOUSE],
    group_name="published",
    owners=["team:jeugdhulp-data"],
    kinds={"parquet"},
    tags={"layer": "published"},
    description=(
        "One Parquet file per published mart (`<table>.parquet`, stable names) in the folder "
        "beside the warehouse (`<warehouse>_parquet/`), for analysts without DuckDB."
    ),
)
def parquet_export(context: AssetExecutionContext) -> MaterializeResult:
    from orchestration.export import export_warehouse

    settings = load_settings()
    files = export_warehouse(
        settings.warehouse, settings.export_dir, duckdb_config=settings.duckdb_config()
    )
    context.log.info(f"Exported {len(files)} tables to {settings.export_dir}")
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(settings.export_dir)),
            "files": MetadataValue.json(sorted(p.name for p in files.values())),
        }
    )


@asset(
    key=INDICATOR_REPORT,
    deps=[PUBLISHED_WAREHOUSE],
    group_name="published",
    owners=["team:jeugdhulp-data"],
    kinds={"html"},
    tags={"layer": "published"},
    description=(
        "Static HTML report: per region and indicator the yearly values against baseline and "
        "streefwaarde (DEFINITIONS §6), provisional values marked, small cells suppressed (§7). "
        "Written beside the warehouse as `<warehouse>_report.html`."
    ),
)
def indicator_report(context: AssetExecutionContext) -> MaterializeResult:
    from orchestration.report import build_report

    settings = load_settings()
    out = settings.report_path
    build_report(settings.warehouse, out, suppression_threshold=settings.suppression_threshold)
    context.log.info(f"Indicator report written to {out}")
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(out)),
            "open": MetadataValue.url(out.resolve().as_uri()),
            "size_kb": round(out.stat().st_size / 1024, 1),
        }
    )
