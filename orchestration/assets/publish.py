"""The published warehouse as a Dagster asset: runs only after every blocking check passed."""

import contextlib
from collections.abc import Sequence
from pathlib import Path

import duckdb
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from orchestration.check_passes import DBT_TESTS_PASS, current_passes
from orchestration.checks.suites import MART_SUITES
from orchestration.config import load_settings
from orchestration.publish import PUBLISHED_SCHEMA, publish_marts

PUBLISHED_WAREHOUSE = AssetKey(["published", "warehouse"])


def mart_keys(dbt_assets: AssetsDefinition) -> list[AssetKey]:
    return sorted(k for k in dbt_assets.keys if k.path[0] == "marts")


def build_publish_asset(marts: Sequence[AssetKey]) -> AssetsDefinition:
    tables = [k.path[-1] for k in marts]
    # Every blocking check on these marts must have passed on the very file published: a
    # publication whose checks failed in an earlier run, or never ran (the asset selected
    # alone), is refused.
    # The dbt data tests count as one: the dbt step records their pass when its build succeeded.
    required = sorted(
        [DBT_TESTS_PASS, *(s.name for s in MART_SUITES if all(t in tables for t in s.tables))]
    )

    @asset(
        key=PUBLISHED_WAREHOUSE,
        deps=list(marts),
        group_name="published",
        owners=["team:jeugdhulp-data"],
        kinds={"duckdb"},
        tags={"layer": "published"},
        description=(
            "The analysts' warehouse (JEUGDHULP_WAREHOUSE): the marts dbt built into the next "
            "publication, swapped in atomically only after every blocking check passed "
            "(write-audit-publish, DEFINITIONS §7). Holds no raw data, quarantine or BSN."
        ),
    )
    def published_warehouse(context: AssetExecutionContext) -> MaterializeResult:
        settings = load_settings()
        passed = {p.check for p in current_passes(settings.publication_db_path)}
        missing = [name for name in required if name not in passed]
        if missing and settings.publication_db_path.is_file():
            raise Failure(
                description=(
                    f"the next publication {settings.publication_db_path} has not passed the "
                    f"blocking check(s) {', '.join(missing)}: they failed, or did not run on this "
                    "file. Materialize the marts with their checks (the whole job) before "
                    "publishing; the published warehouse is untouched."
                ),
                metadata={"checks_not_passed": MetadataValue.json(missing)},
            )
        result = publish_marts(
            settings.publication_db_path,
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
                **previews(result.warehouse, tables),
            }
        )

    return published_warehouse


def previews(warehouse: Path, tables: Sequence[str]) -> dict[str, MetadataValue]:
    """For the asset page in the UI: the first 5 rows of each published table, and the latest
    indicator values against their targets."""
    meta: dict[str, MetadataValue] = {}
    with contextlib.closing(duckdb.connect(str(warehouse), read_only=True)) as con:
        for table in tables:
            with contextlib.suppress(duckdb.Error):
                frame = con.execute(f'select * from "{PUBLISHED_SCHEMA}"."{table}" limit 5').df()
                meta[f"preview {table}"] = MetadataValue.md(frame.to_markdown(index=False))
        if "fct_indicator_values" in tables:
            with contextlib.suppress(duckdb.Error):
                meta["latest_vs_target"] = MetadataValue.md(latest_indicator_table(con))
    return meta


def latest_indicator_table(con: duckdb.DuckDBPyConnection) -> str:
    """Markdown: per region and indicator, the latest year's region-wide value against its
    target (suppressed and provisional values marked), for the asset page in the UI."""
    frame = con.execute(
        """
        with regional as (
            select * from marts.fct_indicator_values
            where gemeentecode = '' and segment = '' and aanbieder_agb = ''
        ),
        latest as (
            select *, row_number() over (
                partition by regio, indicator_code order by period_year desc) as rn
            from regional
        )
        select regio, indicator_code as indicator, period_year as jaar,
            case when suppressed then 'onderdrukt' else cast(round(value, 2) as varchar) end
                as waarde,
            unit as eenheid, coalesce(cast(round(target_value, 2) as varchar), '') as streefwaarde,
            case when meets_target then 'ja' when not meets_target then 'nee' else '' end
                as gehaald,
            case when is_final then '' else 'voorlopig' end as status
        from latest where rn = 1
        order by regio, indicator_code
        """
    ).df()
    return frame.to_markdown(index=False) if len(frame) else "_no indicator values_"


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
