"""dbt models as Dagster assets: one asset per model/seed, grouped and keyed by layer."""


import json
from collections.abc import Iterator, Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.config import load_settings
from orchestration.dbt_project import jeugdhulp_dbt_project

LAYERS = ("staging", "intermediate", "marts")
OWNER = "team:jeugdhulp-data"


def layer_of(props: Mapping[str, Any]) -> str:
    """The layer a dbt node belongs to: its models/ sub-folder, `reference` for seeds,
    `landing` for the raw sources the ingestion asset writes."""
    if props["resource_type"] == "source":
        return "landing"
    if props["resource_type"] == "seed":
        return "reference"
    fqn = props.get("fqn", [])
    for layer in LAYERS:
        if layer in fqn:
            return layer
    return "other"


class JeugdhulpDbtTranslator(DagsterDbtTranslator):
    """Asset key = [schema-like layer, name] (e.g. marts/fct_trajectories, raw/allocations)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return AssetKey([layer_of(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return layer_of(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return [OWNER]

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        return {"layer": layer_of(dbt_resource_props)}


def dbt_build_args(dbt_vars: Mapping[str, object]) -> list[str]:
    """The dbt command the pipeline runs: build (seeds, models, unit and data tests)."""
    return ["build", "--vars", json.dumps(dict(dbt_vars), sort_keys=True)]


@dbt_assets(
    manifest=jeugdhulp_dbt_project.manifest_path,
    project=jeugdhulp_dbt_project,
    dagster_dbt_translator=JeugdhulpDbtTranslator(),
)
def jeugdhulp_dbt_assets(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """Seeds, staging, intermediate and marts models with their unit and data tests."""
    settings = load_settings()
    settings.export_env()
    context.log.info(
        f"dbt build on {settings.working_db_path} with vars {settings.dbt_vars()}"
    )
    yield from dbt.cli(dbt_build_args(settings.dbt_vars()), context=context).stream().fetch_row_counts()
