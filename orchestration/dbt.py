"""dbt models as Dagster assets: one asset per model/seed, grouped and keyed by layer."""

import json
import os
import re
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetMaterialization, MetadataValue, Output
from dagster_dbt import DagsterDbtTranslator, DbtCliInvocation, DbtCliResource, dbt_assets

from orchestration.check_passes import record_dbt_tests_pass
from orchestration.config import DBT_PROJECT_DIR, full_rebuild_requested, load_settings
from orchestration.dbt_project import jeugdhulp_dbt_project
from orchestration.increments import seed_publication
from orchestration.publish import prepare_publication

LAYERS = ("staging", "intermediate", "marts")
DBT_LOG_LEVEL_FILE = "DBT_LOG_LEVEL_FILE"
DEFAULT_DBT_LOG_LEVEL_FILE = "info"
"""Level of the dbt.log in each run's target folder unless DBT_LOG_LEVEL_FILE says otherwise.
At `debug` dbt also logs every statement it sends (≈ 4.5 MB a regional run) and spends ≈ 1.4 s
of a regional build doing so; the compiled SQL is in the target folder either way."""
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


def project_vars(project_dir: Path = DBT_PROJECT_DIR) -> dict[str, object]:
    """The vars and their defaults as dbt_project.yml declares them."""
    import yaml

    with open(project_dir / "dbt_project.yml", encoding="utf-8") as f:
        return dict(yaml.safe_load(f).get("vars") or {})


def dbt_build_args(
    dbt_vars: Mapping[str, object],
    *,
    unit_tests: bool = False,
    defaults: Mapping[str, object] | None = None,
) -> list[str]:
    """The dbt command the pipeline runs: build seeds and models with their data tests.

    `--vars` carries only the vars whose value differs from dbt_project.yml's default (`defaults`,
    read from the project when not given): dbt re-parses the whole project whenever the command
    line's vars differ from the saved parse's (`make manifest` parses without any), ≈ 5 s of a
    regional run; equal values mean the same models either way.

    Unit tests run on fixed, hand-computed rows, not on the delivered data: a production run
    skips them (`unit_tests=True`, or JEUGDHULP_DBT_UNIT_TESTS=true, includes them); CI runs
    them on every change (tests/test_dbt_unit_tests.py).
    """
    declared = project_vars() if defaults is None else defaults
    changed = {k: v for k, v in dbt_vars.items() if k not in declared or declared[k] != v}
    args = ["build"]
    if changed:
        args += ["--vars", json.dumps(changed, sort_keys=True)]
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
    context.log.info(
        f"dbt build on {settings.working_db_path}, peildatum {settings.peildatum.isoformat()}"
        f" (JEUGDHULP_PEILDATUM), vars {settings.dbt_vars()}"
    )
    prune_run_targets(DBT_PROJECT_DIR / "target", context.op_execution_context.op.name)
    # the marts go into a new publication file (dbt_project/macros/generate_database_name.sql)
    prepare_publication(settings.publication_db_path, settings.working_db_path)
    if full_rebuild_requested(settings, context.run.tags):
        context.log.info("full rebuild: every mart is built from nothing")
    else:
        # the unchanged months of the published monthly fact are kept (docs/INCREMENTAL.md)
        seed_publication(
            settings.warehouse,
            settings.publication_db_path,
            building={key.path[-1] for key in context.selected_asset_keys},
            duckdb_config=settings.duckdb_config(),
            say=context.log.info,
        )
    args = dbt_build_args(settings.dbt_vars(), unit_tests=settings.dbt_unit_tests)
    os.environ.setdefault(DBT_LOG_LEVEL_FILE, DEFAULT_DBT_LOG_LEVEL_FILE)
    # The checks after dbt need Great Expectations (≈ 6 s of single-threaded imports): load it
    # while the dbt process starts and parses the project on one core, leaving the other idle
    # (during the ingest both cores are DuckDB's).
    from orchestration.checks.gx_runner import warm_up_in_background

    warm_up_in_background()
    invocation = dbt.cli(args, context=context)
    try:
        yield from stream_with_table_metadata(invocation, context)
    finally:
        if keep_parse_state(invocation.target_path, DBT_PROJECT_DIR / "target"):
            context.log.debug("dbt's parse state kept for the next run (partial parsing)")
    # Reached only when dbt succeeded (a failed model or data test raises above): the publish
    # step requires this pass, so a publication whose data tests failed is never published.
    record_dbt_tests_pass(
        settings.publication_db_path, peildatum=settings.peildatum, gap_months=settings.gap_months
    )


PARSE_STATE = "partial_parse.msgpack"


def keep_parse_state(run_target: Path, project_target: Path) -> bool:
    """Keep this run's dbt parse state where the next run starts from it.

    dagster-dbt gives every run a target folder of its own and copies the project target's
    `partial_parse.msgpack` into it; dbt reuses it only when the saved parse had the same
    profile (working database, publication, memory and threads) and command-line vars, else it
    parses the whole project again (≈ 5 s of a regional run). `make manifest` parses with none of
    the run's settings, so without this every run parsed in full; with it, a run whose settings
    equal the previous run's (the nightly schedule, a repeated `jeugdhulp run`) parses only what
    changed. The file is replaced atomically, so concurrent runs never see half of one; a state
    that does not fit is only a full parse, as before."""
    state = Path(run_target) / PARSE_STATE
    if not state.is_file():
        return False
    project_target.mkdir(parents=True, exist_ok=True)
    partial = project_target / f".{PARSE_STATE}.{os.getpid()}"
    shutil.copyfile(state, partial)
    os.replace(partial, project_target / PARSE_STATE)
    return True


KEEP_RUN_TARGETS = 10
"""dbt target folders of earlier runs kept (compiled SQL, run_results.json, dbt.log; ≈ 8 MB
each): dagster-dbt gives every run a folder of its own, which a nightly schedule would otherwise
pile up forever."""


def prune_run_targets(target_dir: Path, op_name: str, keep: int = KEEP_RUN_TARGETS) -> list[Path]:
    """Delete the oldest per-run dbt target folders (`<op_name>-<run>-<id>`) so that, with the
    one this run is about to create, `keep` remain; return what was deleted."""
    runs = sorted(
        (p for p in target_dir.glob(f"{op_name}-*") if p.is_dir()),
        key=lambda p: p.stat().st_mtime,
    )
    doomed = runs[: max(len(runs) - (keep - 1), 0)]
    for path in doomed:
        shutil.rmtree(path, ignore_errors=True)
    return doomed


ROW_COUNT_LINE = re.compile(r"^row count of (?P<unique_id>\S+): (?P<rows>\d+)$")
"""The log line of macros/row_count.sql (a post-hook of every model and seed)."""


def row_count_of(raw_event: Mapping[str, Any]) -> tuple[str, int] | None:
    """(unique_id, rows) when a dbt log event is the row count line of a table just built."""
    if raw_event.get("info", {}).get("name") != "JinjaLogInfo":
        return None
    match = ROW_COUNT_LINE.match(str(raw_event["info"].get("msg", "")))
    return (match["unique_id"], int(match["rows"])) if match else None


def stream_with_table_metadata(
    invocation: DbtCliInvocation, context: AssetExecutionContext
) -> Iterator[Any]:
    """dbt's events as they happen, so Dagster stores them while dbt is still building; each
    table's Output carries `dagster/row_count` from the log line of macros/row_count.sql (dbt's
    subprocess holds the working database's write lock until it ends, so the count cannot be
    read from here). Previews of the marts are on the published warehouse asset."""
    translator = invocation.dagster_dbt_translator
    nodes = invocation.manifest["nodes"]
    rows: dict[AssetKey, int] = {}
    for message in invocation.stream_raw_events():
        counted = row_count_of(message.raw_event)
        if counted is not None and counted[0] in nodes:
            rows[translator.get_asset_key(nodes[counted[0]])] = counted[1]
        for event in message.to_default_asset_events(
            manifest=invocation.manifest,
            dagster_dbt_translator=translator,
            context=context,
            target_path=invocation.target_path,
            project=invocation.project,
        ):
            if not isinstance(event, Output | AssetMaterialization):
                yield event
                continue
            key = _event_key(event, context.asset_key_for_output)
            if key in rows:
                event = event.with_metadata(
                    {**event.metadata, "dagster/row_count": MetadataValue.int(rows[key])}
                )
            yield event


def _event_key(
    event: Output | AssetMaterialization, key_for_output: Callable[[str], AssetKey]
) -> AssetKey:
    if isinstance(event, AssetMaterialization):
        return event.asset_key
    return key_for_output(event.output_name)
