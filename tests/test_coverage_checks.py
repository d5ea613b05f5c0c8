"""The facts' coverage checks (DEFINITIONS §5, §7): per region and year, how much was known;
they warn below the minimum coverage and never block."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    DagsterInstance,
    asset,
    asset_check,
    materialize,
)

from orchestration.checks.coverage import FACTS, coverage_table, evaluate, run_coverage_check

REASON = next(f for f in FACTS if f.check == "reason_for_ending_coverage")


def _publication(tmp_path: Path, rows: list[tuple]) -> Path:
    """A publication whose fct_allocations holds (regio, ended on, reason_source) rows."""
    path = tmp_path / "publication.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_allocations (regio varchar, ingangsdatum date, "
        "care_end_date date, is_ended boolean, reason_source varchar, start_of_care date, "
        "start_of_care_basis varchar, referrer_source varchar)"
    )
    for regio, end, source in rows:
        con.execute(
            "insert into marts.fct_allocations values (?, ?, ?, ?, ?, null, null, 'allocation')",
            [regio, dt.date(2024, 1, 1), end, end is not None, source],
        )
    con.close()
    return path


def test_reason_known_for_few_ended_allocations_warns_naming_region_and_year(
    tmp_path: Path,
) -> None:
    ended = dt.date(2025, 3, 31)
    rows = [("Twente", ended, "care_stops")] * 3 + [("Twente", ended, "unknown")] * 22
    rows += [("Lekstroom", dt.date(2025, 6, 30), "allocation")] * 4  # all known
    rows += [("Twente", None, "unknown")] * 5  # not ended: not in the population
    result = run_coverage_check(REASON, _publication(tmp_path, rows), 0.8)
    assert result.passed is False
    assert result.severity == AssetCheckSeverity.WARN
    assert result.description.startswith(
        "reason for ending known for 12% of ended allocations in Twente 2025 (3 of 25)"
    )
    assert "1 region-year(s) below 80%" in result.description
    assert result.metadata["threshold"].value == 0.8


def test_coverage_exactly_at_the_threshold_is_enough(tmp_path: Path) -> None:
    ended = dt.date(2024, 12, 31)
    rows = [("Twente", ended, "care_stops")] * 4 + [("Twente", ended, "unknown")]
    con = duckdb.connect(str(_publication(tmp_path, rows)), read_only=True)
    table = coverage_table(con, REASON)
    con.close()
    assert table.to_dict("records") == [
        {"regio": "Twente", "jaar": 2024, "members": 5, "known": 4, "coverage": 0.8}
    ]
    assert evaluate(table, REASON, 0.8).passed is True
    assert evaluate(table, REASON, 0.81).passed is False


def test_no_population_passes_and_says_so(tmp_path: Path) -> None:
    result = run_coverage_check(REASON, _publication(tmp_path, []), 0.8)
    assert result.passed is True
    assert result.description == "reason for ending known: no ended allocations"


@pytest.fixture
def warned_run():
    @asset
    def some_mart() -> None:
        return None

    @asset_check(asset=some_mart, blocking=False)
    def little_known() -> AssetCheckResult:
        return AssetCheckResult(
            passed=False, severity=AssetCheckSeverity.WARN, description="known for 12%"
        )

    return materialize(
        [some_mart, little_known], instance=DagsterInstance.ephemeral(), raise_on_error=False
    )


def test_a_warning_check_neither_fails_nor_blocks_the_cli_run(warned_run) -> None:
    from orchestration.cli import _failures, _warnings

    assert warned_run.success
    assert _failures(warned_run) == ([], [])
    assert _warnings(warned_run) == ["little_known: known for 12%"]


def test_coverage_checks_are_non_blocking_checks_of_fct_allocations() -> None:
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    specs = {
        key.name: graph.get_check_spec(key)
        for key in graph.asset_check_keys
        if key.asset_key.to_user_string() == "marts/fct_allocations"
    }
    for fact in FACTS:
        assert fact.check in specs
        assert specs[fact.check].blocking is False
