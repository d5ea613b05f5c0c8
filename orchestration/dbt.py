"""dbt models as Dagster assets: one asset per model/seed, grouped and keyed by layer."""

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
from dagster import AssetExecutionContext, AssetKey, AssetMaterialization, MetadataValue, Output
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.config import load_settings
from orchestration.dbt_project import jeugdhulp_dbt_project

LAYERS = ("staging", "intermediate", "marts")
OWNER = "team:jeugdhulp-data"


def layer_of(props: Mapping[str, Any]) -> str:
    """The layer (Dagster group) of a dbt node: its schema, `reference` for seeds,
    `landing` for the raw sources the ingestion asset writes."""
    if props["resource_type"] == "source":
        return "landing"
    if props["resource_type"] == "seed":
        return "reference"
    schema = props.get("schema") or ""
    if schema in LAYERS:
        return schema
    # Unpublished working tables (e.g. indicator_cells: unsuppressed indicator cells) belong
    # with the intermediate layer.
    return "intermediate"


class JeugdhulpDbtTranslator(DagsterDbtTranslator):
    """Asset key = [schema, name] (e.g. marts/fct_trajectories, raw/allocations): the key says
    where the table lives in the working database; only `marts/*` is published."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        schema = dbt_resource_props.get("schema") or layer_of(dbt_resource_props)
        return AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return layer_of(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return [OWNER]

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        return {"layer": layer_of(dbt_resource_props)}


def dbt_build_args(dbt_vars: Mapping[str, object], *, unit_tests: bool = False) -> list[str]:
    """The dbt command the pipeline runs: build seeds and models with their data tests.

    Unit tests run on fixed, hand-computed rows, not on the delivered data: a production run
    skips them (`unit_tests=True`, or JEUGDHULP_DBT_UNIT_TESTS=true, includes them); CI runs
    them on every change (tests/test_dbt_unit_tests.py).
    """
    args = ["build", "--vars", json.dumps(dict(dbt_vars), sort_keys=True)]
    if not unit_tests:
        args += ["--exclude-resource-type", "unit_test"]
    return args


@dbt_assets(
    manifest=jeugdhulp_dbt_project.manifest_path,
    project=jeugdhulp_dbt_project,
    dagster_dbt_translator=JeugdhulpDbtTranslator(),
)
def jeugdhulp_dbt_assets(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """Seeds, staging, intermediate and marts models with their data tests."""
    settings = load_settings()
    settings.export_env()
    context.log.info(f"dbt build on {settings.working_db_path} with vars {settings.dbt_vars()}")
    # dbt runs in a subprocess that holds the working database's write lock until it ends, and
    # DuckDB refuses a second in-process connection with another configuration: so collect the
    # events, then add row counts and previews from one short read-only connection.
    args = dbt_build_args(settings.dbt_vars(), unit_tests=settings.dbt_unit_tests)
    events = list(dbt.cli(args, context=context).stream())
    yield from with_table_metadata(events, settings.working_db_path, context.asset_key_for_output)


def with_table_metadata(
    events: list[Any], working_db: Path, key_for_output: Callable[[str], AssetKey]
) -> Iterator[Any]:
    """The dbt events, with `dagster/row_count` (and a 5-row preview for marts) added to each
    materialised table."""
    keyed = [e for e in events if isinstance(e, Output | AssetMaterialization)]
    extra: dict[str, dict[str, Any]] = {}
    if keyed and working_db.exists():
        con = duckdb.connect(str(working_db), read_only=True)
        try:
            for event in keyed:
                key = _event_key(event, key_for_output)
                if key is None or key.path[0] not in (
                    "staging",
                    "intermediate",
                    "marts",
                    "reference",
                ):
                    continue
                schema, table = key.path[0], key.path[-1]
                try:
                    n = con.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0][0]
                except duckdb.Error:
                    continue
                meta: dict[str, Any] = {"dagster/row_count": MetadataValue.int(int(n))}
                if schema == "marts":
                    preview = con.execute(f'select * from "{schema}"."{table}" limit 5').df()
                    meta["preview"] = MetadataValue.md(preview.to_markdown(index=False))
                if key == INDICATOR_VALUES:
                    meta["latest_vs_target"] = MetadataValue.md(latest_indicator_table(con))
                extra[key.to_user_string()] = meta
        finally:
            con.close()
    for event in events:
        key = (
            _event_key(event, key_for_output)
            if isinstance(event, Output | AssetMaterialization)
            else None
        )
        if key is not None and key.to_user_string() in extra:
            event = event.with_metadata({**event.metadata, **extra[key.to_user_string()]})
        yield event


INDICATOR_VALUES = AssetKey(["marts", "fct_indicator_values"])


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


def _event_key(event: Any, key_for_output: Callable[[str], AssetKey]) -> AssetKey | None:
    if isinstance(event, AssetMaterialization):
        return event.asset_key
    return key_for_output(event.output_name)
