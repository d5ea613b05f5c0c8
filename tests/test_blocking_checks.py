"""A violating row that gets past the models is stopped by the blocking checks: nothing is
published and the previous warehouse stays byte-identical (DEFINITIONS §7, write-audit-publish)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetKey,
    AssetSpec,
    DagsterInstance,
    MaterializeResult,
    materialize,
    multi_asset,
)

from tests.conftest import CASES, make_landing, run_args, run_cli

pytestmark = pytest.mark.slow

MARTS = [
    "fct_allocations",
    "fct_declarations_monthly",
    "fct_segment_trajectories",
    "fct_trajectories",
]


def _publish_once(tmp_path: Path) -> Path:
    landing = make_landing(tmp_path, allocations=[CASES / "allocations.csv"])
    warehouse = tmp_path / "wh" / "jeugdhulp.duckdb"
    result = run_cli(
        run_args(landing, warehouse, peildatum="2024-01-01"),
        env_extra={"DAGSTER_HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return warehouse


def _saboteur(sql: str, *, dbt_tests_pass: bool = True):
    """Stands in for the dbt step: builds the next publication (the marts as published before)
    but slips in a bad row; like the dbt step, it records that its data tests passed (unless
    `dbt_tests_pass` is false)."""

    @multi_asset(specs=[AssetSpec(["marts", m]) for m in MARTS], name="sabotaged_dbt")
    def sabotaged_dbt(context):
        from orchestration.check_passes import record_dbt_tests_pass
        from orchestration.config import load_settings

        settings = load_settings()
        shutil.copy(settings.warehouse, settings.publication_db_path)
        con = duckdb.connect(str(settings.publication_db_path))
        try:
            con.execute(sql)
        finally:
            con.close()
        if dbt_tests_pass:
            record_dbt_tests_pass(
                settings.publication_db_path,
                peildatum=settings.peildatum,
                gap_months=settings.gap_months,
            )
        for m in MARTS:
            yield MaterializeResult(asset_key=["marts", m])

    return sabotaged_dbt


OVERLAPPING_TRAJECTORY = """
    insert into marts.fct_trajectories
    select md5('sabotage'), client_key, gemeentecode, start_date + 10, end_date, status,
           duration_days - 10, n_allocations, false, null, null
    from marts.fct_trajectories order by start_date limit 1
"""
EARLY_REENTRY = """
    update marts.fct_trajectories set start_date = start_date - 5, gap_days = gap_days - 5
    where is_reentry
"""


def _run_with_saboteur(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sql: str, *, dbt_tests_pass: bool = True
):
    """Publish the worked cases once, then run the saboteur (`sql` on the next publication),
    the publish asset and every mart check. Returns (warehouse, its bytes before, the publish
    asset, the run's result)."""
    warehouse = _publish_once(tmp_path)
    before = warehouse.read_bytes()
    monkeypatch.setenv("JEUGDHULP_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("JEUGDHULP_PEILDATUM", "2024-01-01")
    from orchestration.assets.publish import build_publish_asset
    from orchestration.checks.asset_checks import build_mart_checks

    publish = build_publish_asset([AssetKey(["marts", m]) for m in MARTS])
    result = materialize(
        [_saboteur(sql, dbt_tests_pass=dbt_tests_pass), publish, *build_mart_checks()],
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    return warehouse, before, publish, result


@pytest.mark.parametrize(
    ("sql", "failing_check"),
    [
        (OVERLAPPING_TRAJECTORY, "trajectories_no_overlap"),
        (EARLY_REENTRY, "trajectories_reentry_gap"),
    ],
)
def test_violating_row_blocks_publication_and_keeps_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sql: str, failing_check: str
) -> None:
    warehouse, before, _, result = _run_with_saboteur(tmp_path, monkeypatch, sql)
    from orchestration.assets.publish import PUBLISHED_WAREHOUSE
    from orchestration.cli import _failures

    assert not result.success
    _, failed_checks = _failures(result)
    assert failing_check in {c["check"] for c in failed_checks}
    materialized = {
        ev.event_specific_data.materialization.asset_key
        for ev in result.get_asset_materialization_events()
    }
    assert PUBLISHED_WAREHOUSE not in materialized
    assert warehouse.read_bytes() == before


def test_clean_marts_pass_the_same_checks_and_publish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: the same harness without a bad row publishes (so the test above can fail)."""
    _, _, _, result = _run_with_saboteur(tmp_path, monkeypatch, "select 1")
    assert result.success


def test_the_publish_step_alone_refuses_a_publication_whose_checks_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a run stopped by a failing check, its publication file is still there: selecting
    only the publish asset (no check runs) must not put it in front of analysts."""
    warehouse, before, publish, failed = _run_with_saboteur(tmp_path, monkeypatch, EARLY_REENTRY)
    from orchestration.config import load_settings

    assert not failed.success
    assert load_settings().publication_db_path.is_file()
    alone = materialize([publish], instance=DagsterInstance.ephemeral(), raise_on_error=False)
    assert not alone.success
    (failure,) = [e for e in alone.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "trajectories_reentry_gap" in str(failure.event_specific_data.error)
    assert warehouse.read_bytes() == before


def test_a_publication_without_the_dbt_tests_pass_is_not_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every suite passes, but the step that built the marts did not record that its data tests
    passed (a dbt build whose data test failed leaves its publication on disk): refused."""
    warehouse, before, _, result = _run_with_saboteur(
        tmp_path, monkeypatch, "select 1", dbt_tests_pass=False
    )
    from orchestration.check_passes import DBT_TESTS_PASS

    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert DBT_TESTS_PASS in str(failure.event_specific_data.error)
    assert warehouse.read_bytes() == before
