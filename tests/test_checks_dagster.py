"""The mart suites as blocking Dagster asset checks (DEFINITIONS §7)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dagster import AssetCheckSeverity, AssetKey, asset, build_asset_check_context, materialize

from orchestration.checks.asset_checks import SUITE_NAMES, build_mart_checks

TRAJECTORY_TABLE = """
    create table marts.fct_trajectories as
    select * from (values
        ('TA1', 'A', '0153', DATE '2021-01-01', DATE '2021-03-31', '{status}', 90, 1,
         false, NULL::INTEGER, NULL::VARCHAR)
    ) as v(trajectory_id, client_key, gemeentecode, start_date, end_date, status,
           duration_days, n_allocations, is_reentry, gap_days, previous_trajectory_id)
"""


@pytest.fixture
def working_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Build a one-trajectory mart with the given status; settings point at it."""

    def build(status: str) -> Path:
        path = tmp_path / "working.duckdb"
        con = duckdb.connect(str(path))
        con.execute("create schema marts")
        con.execute(TRAJECTORY_TABLE.format(status=status))
        con.close()
        monkeypatch.setenv("JEUGDHULP_WORKING_DB", str(path))
        # and no publication of another warehouse gets attached to it
        monkeypatch.setenv("JEUGDHULP_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
        monkeypatch.setenv("JEUGDHULP_PEILDATUM", "2024-01-01")
        monkeypatch.setenv("JEUGDHULP_GAP_MONTHS", "6")
        return path

    return build


def status_check():
    (check,) = [c for c in build_mart_checks() if check_name(c) == "trajectories_status_dates"]
    return check


def check_name(check) -> str:
    (key,) = check.check_keys
    return key.name


def test_one_blocking_check_per_suite_on_the_mart_it_guards() -> None:
    checks = build_mart_checks()
    specs = [spec for c in checks for spec in c.check_specs]
    assert [s.name for s in specs] == list(SUITE_NAMES)
    assert all(s.blocking for s in specs)
    targets = {s.name: s.asset_key for s in specs}
    assert targets["allocations_in_one_trajectory"] == AssetKey(["marts", "fct_allocations"])
    assert targets["marts_no_personal_data"] == AssetKey(["marts", "fct_trajectories"])
    assert targets["segment_trajectories_reentry_gap"] == AssetKey(
        ["marts", "fct_segment_trajectories"]
    )
    by_name = {s.name: s for s in specs}
    assert "fct_trajectories" in by_name["allocations_in_one_trajectory"].metadata["reads"]


def test_checks_on_marts_not_in_the_code_location_are_left_out() -> None:
    available = {AssetKey(["marts", "fct_trajectories"])}
    names = [check_name(c) for c in build_mart_checks(available=available)]
    assert names == [
        "trajectories_reentry_gap",
        "trajectories_no_overlap",
        "trajectories_status_dates",
        "marts_no_personal_data",
    ]


def test_passing_check_reports_what_it_validated(working_db) -> None:
    working_db("closed")
    result = status_check()(build_asset_check_context())
    assert result.passed
    assert result.severity == AssetCheckSeverity.ERROR
    assert result.metadata["rows_validated"].value == 1
    assert result.metadata["expectations_evaluated"].value == 10
    assert result.metadata["failed_expectations"].value == []


def test_failing_check_returns_passed_false_naming_the_expectation(working_db) -> None:
    working_db("ended")  # 2021-03-31 + 1 day + 6 months <= 2024-01-01: closed, not ended
    result = status_check()(build_asset_check_context())
    assert result.passed is False
    assert result.severity == AssetCheckSeverity.ERROR
    label = "expect_column_pair_values_to_be_equal(status, expected_status)"
    assert result.metadata["failed_expectations"].value == [label]
    assert result.metadata["unexpected_counts"].value == {label: 1}
    assert "TA1" in result.metadata["sample"].value
    assert result.metadata["duration_seconds"].value >= 0


def test_failed_blocking_check_stops_downstream_assets(working_db) -> None:
    working_db("ended")

    @asset(key=AssetKey(["marts", "fct_trajectories"]))
    def fct_trajectories() -> None:
        """Stands in for the dbt model: the table is already in the working database."""

    @asset(deps=[AssetKey(["marts", "fct_trajectories"])])
    def published() -> int:
        return 1

    result = materialize([fct_trajectories, published, status_check()], raise_on_error=False)
    assert not result.success
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.passed is False
    assert result.asset_materializations_for_node("published") == []
