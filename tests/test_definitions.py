"""The shape of the Dagster definitions: changes to the asset graph, checks, job and schedule
must be deliberate (update these lists when you change them on purpose)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dagster import AssetKey, DefaultScheduleStatus


@pytest.fixture(scope="module")
def defs(dbt_manifest):
    from orchestration.definitions import defs

    return defs


def _all_keys(defs) -> set[str]:
    return {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}


def test_graph_runs_landing_to_published(defs) -> None:
    keys = _all_keys(defs)
    for expected in (
        "raw/allocations",
        "raw/declarations",
        "raw/quarantine",
        "raw/ingest_files",
        "staging/stg_raw__allocations",
        "intermediate/int_allocations__chained",
        "marts/fct_trajectories",
        "marts/fct_segment_trajectories",
        "marts/fct_allocations",
        "marts/fct_declarations_monthly",
        "published/warehouse",
        "published/parquet_export",
        "published/indicator_report",
        "marts/fct_indicator_values",
        "marts/dim_indicators",
    ):
        assert expected in keys


def test_assets_are_grouped_by_layer(defs) -> None:
    graph = defs.resolve_asset_graph()
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups["raw/allocations"] == "landing"
    assert groups["staging/stg_raw__declarations"] == "staging"
    assert groups["intermediate/int_trajectories__summarised"] == "intermediate"
    assert groups["marts/fct_trajectories"] == "marts"
    assert groups["reference/product_catalogue"] == "reference"
    assert groups["published/warehouse"] == "published"


def test_publish_depends_on_every_mart(defs) -> None:
    graph = defs.resolve_asset_graph()
    parents = graph.get(AssetKey(["published", "warehouse"])).parent_keys
    marts = {k for k in graph.get_all_asset_keys() if k.path[0] == "marts"}
    assert marts and marts <= set(parents)
    # unsuppressed indicator cells are never published (DEFINITIONS §7)
    assert not [k for k in parents if k.path[0] == "indicator_cells"]


def test_guards_are_blocking_checks_on_the_marts(defs) -> None:
    graph = defs.resolve_asset_graph()
    checks = {
        (key.asset_key.to_user_string(), key.name): graph.get_check_spec(key)
        for key in graph.asset_check_keys
    }
    expected = {
        ("marts/fct_trajectories", "trajectories_reentry_gap"),
        ("marts/fct_trajectories", "trajectories_no_overlap"),
        ("marts/fct_trajectories", "trajectories_status_dates"),
        ("marts/fct_trajectories", "marts_no_personal_data"),
        ("marts/fct_allocations", "allocations_in_one_trajectory"),
        ("raw/allocations", "delivery_accounted_for"),
        ("raw/declarations", "delivery_accounted_for"),
    }
    assert expected <= set(checks)
    for key in expected:
        assert checks[key].blocking, key
    # a dbt data test on two models, loaded as a check of the one it guards
    assert ("marts/fct_declarations_monthly", "monthly_fact_reconciles_with_its_lines") in checks


def test_nightly_schedule_runs_the_whole_pipeline_at_two_amsterdam_time(defs) -> None:
    schedule = defs.resolve_schedule_def("nightly_pipeline")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Europe/Amsterdam"
    assert schedule.default_status == DefaultScheduleStatus.RUNNING
    assert schedule.job_name == "jeugdhulp_pipeline"


@pytest.mark.parametrize(
    ("day", "tags"),
    [
        # Sunday night rebuilds from nothing (docs/INCREMENTAL.md); every other night increments
        (dt.date(2026, 11, 29), {"jeugdhulp/full_rebuild": "true"}),
        (dt.date(2026, 11, 30), {}),
        (dt.date(2026, 12, 5), {}),
    ],
)
def test_the_schedule_rebuilds_in_full_on_sunday_nights(defs, day: dt.date, tags: dict) -> None:
    from dagster import build_schedule_context

    when = dt.datetime.combine(day, dt.time(2), tzinfo=ZoneInfo("Europe/Amsterdam"))
    [request] = (
        defs.resolve_schedule_def("nightly_pipeline")
        .evaluate_tick(build_schedule_context(scheduled_execution_time=when))
        .run_requests
    )
    own = {k: v for k, v in request.tags.items() if not k.startswith("dagster/")}
    assert own == tags


def test_a_full_rebuild_is_asked_by_setting_flag_or_run_tag() -> None:
    from orchestration.config import ConfigError, full_rebuild_requested, load_settings

    default, forced = load_settings({}), load_settings({"JEUGDHULP_FULL_REBUILD": "true"})
    assert not full_rebuild_requested(default, {})
    assert full_rebuild_requested(forced, {})
    assert full_rebuild_requested(default, {"jeugdhulp/full_rebuild": "true"})
    assert not full_rebuild_requested(default, {"jeugdhulp/full_rebuild": "false"})
    with pytest.raises(ConfigError, match="JEUGDHULP_FULL_REBUILD"):
        load_settings({"JEUGDHULP_FULL_REBUILD": "sometimes"})


def test_landing_sensor_starts_the_pipeline(defs) -> None:
    sensor = defs.resolve_sensor_def("landing_sensor")
    assert sensor.job_name == "jeugdhulp_pipeline"


def test_pipeline_job_runs_in_one_process(defs) -> None:
    job = defs.resolve_job_def("jeugdhulp_pipeline")
    assert job.executor_def.name == "in_process"


def test_dbt_build_args_pass_only_vars_that_differ_from_the_project() -> None:
    from orchestration.dbt import dbt_build_args, project_vars

    defaults = {"trajectory_gap_months": 6, "suppression_threshold": 5}
    args = dbt_build_args(
        {"trajectory_gap_months": 3, "suppression_threshold": 5}, defaults=defaults
    )
    assert args[:3] == ["build", "--vars", '{"trajectory_gap_months": 3}']
    # the defaults: no --vars at all, so dbt keeps the saved parse (make manifest parses without)
    assert "--vars" not in dbt_build_args(defaults, defaults=defaults)
    assert "--vars" not in dbt_build_args(load_default_settings().dbt_vars())
    assert project_vars()["trajectory_gap_months"] == 6
    # the peildatum changes every run: it travels in the environment, never in --vars
    assert "peildatum" not in load_default_settings().dbt_vars()
    assert "peildatum" not in project_vars()


def test_a_run_keeps_its_dbt_parse_state_for_the_next_run(tmp_path: Path) -> None:
    from orchestration.dbt import PARSE_STATE, keep_parse_state

    run_target, project_target = tmp_path / "run", tmp_path / "target"
    run_target.mkdir()
    assert keep_parse_state(run_target, project_target) is False  # dbt failed before parsing
    assert not (project_target / PARSE_STATE).exists()
    (run_target / PARSE_STATE).write_bytes(b"state of run 1")
    assert keep_parse_state(run_target, project_target) is True
    (run_target / PARSE_STATE).write_bytes(b"state of run 2")
    keep_parse_state(run_target, project_target)
    assert (project_target / PARSE_STATE).read_bytes() == b"state of run 2"
    assert [p.name for p in project_target.iterdir()] == [PARSE_STATE]  # no partial copy left


def load_default_settings():
    from orchestration.config import load_settings

    return load_settings({})


def test_production_build_skips_dbt_unit_tests_unless_asked() -> None:
    from orchestration.config import load_settings
    from orchestration.dbt import dbt_build_args

    assert dbt_build_args({})[-2:] == ["--exclude-resource-type", "unit_test"]
    assert "unit_test" not in dbt_build_args({}, unit_tests=True)
    assert load_settings({}).dbt_unit_tests is False
    assert load_settings({"JEUGDHULP_DBT_UNIT_TESTS": "true"}).dbt_unit_tests is True
    assert load_settings({"JEUGDHULP_DBT_THREADS": "3"}).dbt_threads == 3


def test_dbt_settings_reject_nonsense() -> None:
    from orchestration.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match="JEUGDHULP_DBT_UNIT_TESTS"):
        load_settings({"JEUGDHULP_DBT_UNIT_TESTS": "maybe"})
    with pytest.raises(ConfigError, match="at least 1"):
        load_settings({"JEUGDHULP_DBT_THREADS": "0"})


def test_row_count_lines_of_the_dbt_log_are_recognised() -> None:
    from orchestration.dbt import row_count_of

    line = {"info": {"name": "JinjaLogInfo", "msg": "row count of model.jeugdhulp.fct_x: 1234"}}
    assert row_count_of(line) == ("model.jeugdhulp.fct_x", 1234)
    assert row_count_of({"info": {"name": "JinjaLogInfo", "msg": "row count of x: many"}}) is None
    other = {"info": {"name": "LogModelResult", "msg": "row count of model.jeugdhulp.y: 1"}}
    assert row_count_of(other) is None


def test_dbt_sets_the_spill_directory_once_when_the_database_opens(tmp_path) -> None:
    """dbt-duckdb applies `settings:` on every cursor (one per thread); DuckDB refuses to set
    temp_directory again once it has spilled, which failed a national build mid-way. The spill
    directory belongs in `config_options:` (applied once, at connect)."""
    import duckdb
    import yaml

    from orchestration.config import DBT_PROJECT_DIR

    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8"))
    duck = profile["jeugdhulp"]["outputs"]["duckdb"]
    assert "temp_directory" in duck["config_options"]
    assert "temp_directory" not in duck.get("settings", {})

    # the trap itself, as DuckDB behaves today
    spill = str(tmp_path / "spill")
    con = duckdb.connect(config={"memory_limit": "64MB", "threads": 1})
    con.execute(f"SET temp_directory = '{spill}'")
    try:
        con.execute(
            "CREATE TABLE t AS SELECT md5(CAST(range AS VARCHAR)) AS s FROM range(2000000) "
            "ORDER BY s"
        )
        with pytest.raises(duckdb.Error, match="temporary directory"):
            con.cursor().execute(f"SET temp_directory = '{spill}'")
    finally:
        con.close()


def test_old_dbt_run_folders_are_pruned(tmp_path) -> None:
    import os

    from orchestration.dbt import prune_run_targets

    for i in range(13):
        folder = tmp_path / f"jeugdhulp_dbt_assets-run{i:02d}-x"
        folder.mkdir()
        os.utime(folder, (1_000_000 + i, 1_000_000 + i))
    (tmp_path / "manifest.json").write_text("{}")
    (tmp_path / "other_op-run00-x").mkdir()
    deleted = prune_run_targets(tmp_path, "jeugdhulp_dbt_assets", keep=10)
    assert sorted(p.name for p in deleted) == [
        f"jeugdhulp_dbt_assets-run{i:02d}-x" for i in range(4)
    ]
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left[:9] == [f"jeugdhulp_dbt_assets-run{i:02d}-x" for i in range(4, 13)]
    assert "manifest.json" in left and "other_op-run00-x" in left
