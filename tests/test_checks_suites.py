"""The blocking mart suites pass on a correct hand-made set and name the rule a bad row breaks.

Peildatum 2024-01-01, gap 6 months (DEFINITIONS §4). The correct set, per client:
- A: TA1 2021-01-01..2021-03-31 (90 days, closed), re-entry TA2 2021-10-01..2022-06-30:
  2021-03-31 + 1 day + 6 months = 2021-10-01, the earliest allowed start; gap 183 days.
- B: TB1 2022-03-01..2022-08-30 (183 days), re-entry TB2 2023-02-28..open: 2022-08-31 + 6 months
  clamps to 2023-02-28; gap 181 days.
- C: TC1 2023-05-01..2023-09-30: ended (2023-10-01 + 6 months = 2024-04-01 > peildatum).
- D: TD1 2023-06-01..2024-01-01: ongoing (end >= peildatum).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.checks.gx_runner import SuiteResult
from orchestration.checks.suites import SUITE_NAMES, get_mart_suite, run_all_suites, run_mart_suite
from orchestration.config import Settings

PEILDATUM = dt.date(2024, 1, 1)

TRAJECTORY_TYPES = {
    "trajectory_id": "VARCHAR",
    "client_key": "VARCHAR",
    "gemeentecode": "VARCHAR",
    "start_date": "DATE",
    "end_date": "DATE",
    "status": "VARCHAR",
    "duration_days": "INTEGER",
    "n_allocations": "INTEGER",
    "is_reentry": "BOOLEAN",
    "gap_days": "INTEGER",
    "previous_trajectory_id": "VARCHAR",
}
SEGMENT_TYPES = {
    "segment_trajectory_id": "VARCHAR",
    "client_key": "VARCHAR",
    "dimension": "VARCHAR",
    "dimension_value": "VARCHAR",
    "gemeentecode": "VARCHAR",
    "start_date": "DATE",
    "end_date": "DATE",
    "status": "VARCHAR",
    "duration_days": "INTEGER",
    "n_allocations": "INTEGER",
    "is_reentry": "BOOLEAN",
    "gap_days": "INTEGER",
    "previous_segment_trajectory_id": "VARCHAR",
}
ALLOCATION_TYPES = {
    "allocation_key": "VARCHAR",
    "toewijzingnummer": "VARCHAR",
    "gemeentecode": "VARCHAR",
    "aanbieder_agb": "VARCHAR",
    "client_key": "VARCHAR",
    "productcategorie": "VARCHAR",
    "productcode": "VARCHAR",
    "hulpvorm": "VARCHAR",
    "segment": "VARCHAR",
    "counts_as_jeugdhulp": "BOOLEAN",
    "ingangsdatum": "DATE",
    "einddatum": "DATE",
    "toewijzingsdatum": "DATE",
    "trajectory_id": "VARCHAR",
}


def traj(tid, client, start, end, status, duration, n, reentry=False, gap=None, previous=None):
    return {
        "trajectory_id": tid,
        "client_key": client,
        "gemeentecode": "0153",
        "start_date": start,
        "end_date": end,
        "status": status,
        "duration_days": duration,
        "n_allocations": n,
        "is_reentry": reentry,
        "gap_days": gap,
        "previous_trajectory_id": previous,
    }


def alloc(key, client, start, end, trajectory, jeugdhulp=True):
    return {
        "allocation_key": key,
        "toewijzingnummer": f"T{key}",
        "gemeentecode": "0153",
        "aanbieder_agb": "12345678",
        "client_key": client,
        "productcategorie": "45" if jeugdhulp else "42",
        "productcode": "45A11" if jeugdhulp else "42A01",
        "hulpvorm": "begeleiding" if jeugdhulp else "vervoer",
        "counts_as_jeugdhulp": jeugdhulp,
        "ingangsdatum": start,
        "einddatum": end,
        "toewijzingsdatum": start,
        "trajectory_id": trajectory,
    }


TRAJECTORIES = [
    traj("TA1", "A", "2021-01-01", "2021-03-31", "closed", 90, 1),
    traj("TA2", "A", "2021-10-01", "2022-06-30", "closed", 273, 2, True, 183, "TA1"),
    traj("TB1", "B", "2022-03-01", "2022-08-30", "closed", 183, 1),
    traj("TB2", "B", "2023-02-28", None, "ongoing", None, 1, True, 181, "TB1"),
    traj("TC1", "C", "2023-05-01", "2023-09-30", "ended", 153, 1),
    traj("TD1", "D", "2023-06-01", "2024-01-01", "ongoing", None, 1),
]
ALLOCATIONS = [
    alloc("a1", "A", "2021-01-01", "2021-03-31", "TA1"),
    alloc("a2", "A", "2021-10-01", "2022-01-31", "TA2"),
    alloc("a3", "A", "2021-12-01", "2022-06-30", "TA2"),
    alloc("a4", "A", "2021-02-01", "2021-02-28", None, jeugdhulp=False),
    alloc("b1", "B", "2022-03-01", "2022-08-30", "TB1"),
    alloc("b2", "B", "2023-02-28", None, "TB2"),
    alloc("c1", "C", "2023-05-01", "2023-09-30", "TC1"),
    alloc("d1", "D", "2023-06-01", "2024-01-01", "TD1"),
]


def segments(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same chains as begeleiding segment trajectories (ids prefixed with S)."""
    out = []
    for row in rows:
        seg = {k: v for k, v in row.items() if k not in ("trajectory_id", "previous_trajectory_id")}
        seg["segment_trajectory_id"] = "S" + row["trajectory_id"]
        prev = row["previous_trajectory_id"]
        seg["previous_segment_trajectory_id"] = None if prev is None else "S" + prev
        seg["dimension"], seg["dimension_value"] = "hulpvorm", "begeleiding"
        out.append(seg)
    return out


def changed(rows: list[dict[str, Any]], key: str, **changes: Any) -> list[dict[str, Any]]:
    """A copy of `rows` where the row whose first value is `key` has `changes` applied."""
    out = [dict(r) for r in rows]
    matches = [r for r in out if next(iter(r.values())) == key]
    assert len(matches) == 1, key
    matches[0].update(changes)
    return out


def create_table(
    con, table: str, types: dict[str, str], rows: list[dict[str, Any]], schema: str = "marts"
) -> None:
    columns = ", ".join(f'"{name}" {sql_type}' for name, sql_type in types.items())
    con.execute(f'create table {schema}."{table}" ({columns})')
    if rows:
        marks = ", ".join("?" for _ in types)
        con.executemany(
            f'insert into {schema}."{table}" values ({marks})',
            [[row.get(name) for name in types] for row in rows],
        )


RAW_TYPES = {
    "toewijzingnummer": "VARCHAR",
    "gemeentecode": "VARCHAR",
    "aanbieder_agb": "VARCHAR",
    "productcategorie": "VARCHAR",
    "productcode": "VARCHAR",
    "ingangsdatum": "DATE",
    "einddatum": "DATE",
    "dagtekening": "DATE",
    "_file_seq": "INTEGER",
    "_source_row": "BIGINT",
}
CELL_KEY_TYPES = {
    "indicator_code": "VARCHAR",
    "period_year": "INTEGER",
    "regio": "VARCHAR",
    "gemeentecode": "VARCHAR",
    "segment": "VARCHAR",
    "aanbieder_agb": "VARCHAR",
}
INDICATOR_TYPES = {
    **CELL_KEY_TYPES,
    "numerator": "DECIMAL(28,6)",
    "denominator": "DECIMAL(28,6)",
    "value": "DECIMAL(28,6)",
    "unit": "VARCHAR",
    "meets_target": "BOOLEAN",
    "suppressed": "BOOLEAN",
    "coverage": "DECIMAL(28,6)",
    "data_quality": "VARCHAR",
}
FAMILY_TYPES = {**CELL_KEY_TYPES, "n_clients": "INTEGER"}


def cell(gemeente, n_clients, numerator, denominator, value, suppressed):
    """A published indicator cell of 2023 in Twente and the number of clients it rests on."""
    return {
        "indicator_code": "recidive",
        "period_year": 2023,
        "regio": "Twente",
        "gemeentecode": gemeente,
        "segment": "",
        "aanbieder_agb": "",
        "numerator": numerator,
        "denominator": denominator,
        "value": value,
        "unit": "percent",
        "suppressed": suppressed,
        "n_clients": n_clients,
        "data_quality": "complete",
    }


# Threshold 5 (DEFINITIONS §7): 3 clients suppressed, 5 shown, none shown (a zero count).
CELLS = [
    cell("", 12, 3, 12, 25, False),
    cell("0153", 3, None, None, None, True),
    cell("0164", 5, 1, 5, 20, False),
    cell("0173", 0, 0, None, 0, False),
]


def raw_version(row, dagtekening="2020-01-01", file_seq=1, source_row=1, **changes):
    """A delivered version of allocation `row` (its effective one unless `changes` say not)."""
    version = {k: row[k] for k in RAW_TYPES if k in row}
    version.update(dagtekening=dagtekening, _file_seq=file_seq, _source_row=source_row)
    version.update(changes)
    return version


def build_marts(
    path: Path,
    trajectories=TRAJECTORIES,
    allocations=ALLOCATIONS,
    segment_trajectories=None,
    extra: dict[str, tuple[dict[str, str], list[dict[str, Any]]]] | None = None,
    raw_versions: list[dict[str, Any]] | None = None,
    cells: list[dict[str, Any]] = CELLS,
) -> Path:
    """The marts, the delivered versions in `raw.allocations` (by default one per published
    allocation) and the indicator family cells with their client counts."""
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    create_table(con, "fct_trajectories", TRAJECTORY_TYPES, trajectories)
    create_table(con, "fct_allocations", ALLOCATION_TYPES, allocations)
    seg_rows = segments(TRAJECTORIES) if segment_trajectories is None else segment_trajectories
    create_table(con, "fct_segment_trajectories", SEGMENT_TYPES, seg_rows)
    create_table(con, "fct_indicator_values", INDICATOR_TYPES, cells)
    for table, (types, rows) in (extra or {}).items():
        create_table(con, table, types, rows)
    con.execute("create schema if not exists raw")
    has_raw = con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'raw' and table_name = 'allocations'"
    ).fetchall()[0][0]
    if not has_raw:  # (the personal-data tests bring their own delivered BSNs)
        versions = [raw_version(a) for a in allocations] if raw_versions is None else raw_versions
        create_table(con, "allocations", RAW_TYPES, versions, schema="raw")
    con.execute("create schema indicator_cells")
    family = [c for c in cells if c.get("n_clients", -1) != -1]
    create_table(con, "ind_recidive", FAMILY_TYPES, family, schema="indicator_cells")
    con.close()
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(working_db=tmp_path / "working.duckdb", peildatum=PEILDATUM, gap_months=6)


def run(settings: Settings, name: str, **marts: Any) -> SuiteResult:
    build_marts(settings.working_db_path, **marts)
    con = duckdb.connect(str(settings.working_db_path), read_only=True)
    try:
        return run_mart_suite(get_mart_suite(name), con, settings)
    finally:
        con.close()


def failed(result: SuiteResult) -> list[str]:
    return result.failed_expectations


GAP_RULE = "expect_column_pair_values_a_to_be_greater_than_b(start_date, earliest_reentry_start)"


# ---------------------------------------------------------------------------- all suites


def test_correct_marts_pass_every_suite(settings: Settings) -> None:
    build_marts(settings.working_db_path)
    con = duckdb.connect(str(settings.working_db_path), read_only=True)
    results = run_all_suites(con, settings)
    con.close()
    assert list(results) == list(SUITE_NAMES)
    assert {name: r.summary() for name, r in results.items() if not r.success} == {}
    assert results["trajectories_status_dates"].rows_validated == 6
    assert results["allocations_in_one_trajectory"].rows_validated == 8


def test_empty_marts_pass_the_row_level_suites(settings: Settings) -> None:
    build_marts(settings.working_db_path, trajectories=[], allocations=[], segment_trajectories=[])
    con = duckdb.connect(str(settings.working_db_path), read_only=True)
    results = run_all_suites(con, settings)
    con.close()
    assert [name for name, r in results.items() if not r.success] == []
    assert results["trajectories_reentry_gap"].rows_validated == 0


def test_missing_mart_fails_the_suite_naming_the_table(settings: Settings) -> None:
    con = duckdb.connect(str(settings.working_db_path))
    con.execute("create schema marts")
    result = run_mart_suite(get_mart_suite("trajectories_status_dates"), con, settings)
    con.close()
    assert not result.success
    assert result.error == "missing table(s): marts.fct_trajectories"


# ------------------------------------------------------------------ re-entry gap (§4)


@pytest.mark.parametrize(
    ("start", "gap", "duration", "passes"),
    [
        ("2021-10-01", 183, 273, True),  # end 2021-03-31 + 1 day + 6 months = 2021-10-01
        ("2021-09-30", 182, 274, False),  # one day short of six months
    ],
)
def test_reentry_exactly_six_months_after_day_after_end(settings, start, gap, duration, passes):
    rows = changed(TRAJECTORIES, "TA2", start_date=start, gap_days=gap, duration_days=duration)
    result = run(settings, "trajectories_reentry_gap", trajectories=rows)
    assert result.success is passes
    assert failed(result) == ([] if passes else [GAP_RULE])
    if not passes:
        (failure,) = result.failures
        assert failure.unexpected_count == 1
        assert failure.sample[0]["trajectory_id"] == "TA2"
        assert failure.sample[0]["earliest_reentry_start"] == "2021-10-01"


@pytest.mark.parametrize(
    ("start", "gap", "passes"),
    [("2023-02-28", 181, True), ("2023-02-27", 180, False)],
)
def test_reentry_gap_month_arithmetic_clamps_to_month_end(settings, start, gap, passes):
    # TB1 ends 2022-08-30: 2022-08-31 + 6 months = 2023-02-28 (February has no 31st).
    rows = changed(TRAJECTORIES, "TB2", start_date=start, gap_days=gap)
    result = run(settings, "trajectories_reentry_gap", trajectories=rows)
    assert failed(result) == ([] if passes else [GAP_RULE])


def test_second_trajectory_not_marked_reentry_fails(settings: Settings) -> None:
    rows = changed(
        TRAJECTORIES, "TA2", is_reentry=False, gap_days=None, previous_trajectory_id=None
    )
    result = run(settings, "trajectories_reentry_gap", trajectories=rows)
    assert failed(result) == [
        "expect_column_pair_values_to_be_equal(is_reentry, expected_is_reentry)",
        "expect_column_pair_values_to_be_equal(previous_trajectory_id, preceding_trajectory_id)",
        "expect_column_pair_values_to_be_equal(gap_days, expected_gap_days)",
    ]


def test_first_trajectory_marked_reentry_fails(settings: Settings) -> None:
    rows = changed(TRAJECTORIES, "TC1", is_reentry=True)
    result = run(settings, "trajectories_reentry_gap", trajectories=rows)
    assert failed(result) == [
        "expect_column_pair_values_to_be_equal(is_reentry, expected_is_reentry)"
    ]


def test_previous_trajectory_must_be_the_immediately_preceding_one(settings: Settings) -> None:
    # TA3 starts more than six months after TA2 but names TA1 as its previous trajectory
    # (with the gap from TA1's end, 2021-03-31 -> 2023-01-01: 640 days between).
    rows = [
        *TRAJECTORIES,
        traj("TA3", "A", "2023-01-01", "2023-01-31", "closed", 31, 1, True, 640, "TA1"),
    ]
    allocations = [*ALLOCATIONS, alloc("a5", "A", "2023-01-01", "2023-01-31", "TA3")]
    result = run(settings, "trajectories_reentry_gap", trajectories=rows, allocations=allocations)
    assert failed(result) == [
        "expect_column_pair_values_to_be_equal(previous_trajectory_id, preceding_trajectory_id)"
    ]
    assert result.failures[0].sample == (
        {
            "trajectory_id": "TA3",
            "previous_trajectory_id": "TA1",
            "preceding_trajectory_id": "TA2",
        },
    )


def test_gap_days_exclude_both_end_and_start_day(settings: Settings) -> None:
    rows = changed(TRAJECTORIES, "TA2", gap_days=184)  # 2021-03-31 -> 2021-10-01: 183 between
    result = run(settings, "trajectories_reentry_gap", trajectories=rows)
    assert failed(result) == ["expect_column_pair_values_to_be_equal(gap_days, expected_gap_days)"]
    assert result.failures[0].sample[0]["expected_gap_days"] == 183


def test_reentry_after_open_ended_trajectory_fails(settings: Settings) -> None:
    rows = [
        *TRAJECTORIES,
        traj("TE1", "E", "2021-01-01", None, "ongoing", None, 1),
        traj("TE2", "E", "2022-01-01", None, "ongoing", None, 1, True, None, "TE1"),
    ]
    result = run(settings, "trajectories_reentry_gap", trajectories=rows)
    assert GAP_RULE in failed(result)
    overlap = run_suite_again(settings, "trajectories_no_overlap")
    assert failed(overlap) == ["expect_column_values_to_be_in_set(follows_open_ended_trajectory)"]


def run_suite_again(settings: Settings, name: str) -> SuiteResult:
    """Run another suite on the database built by the previous `run` call."""
    con = duckdb.connect(str(settings.working_db_path), read_only=True)
    try:
        return run_mart_suite(get_mart_suite(name), con, settings)
    finally:
        con.close()


# ------------------------------------------------------------------------ no overlap (§4)


def test_overlapping_trajectories_of_a_client_fail(settings: Settings) -> None:
    # TA2 starting 2021-03-15 overlaps TA1 (ends 2021-03-31).
    rows = changed(TRAJECTORIES, "TA2", start_date="2021-03-15", duration_days=473)
    result = run(settings, "trajectories_no_overlap", trajectories=rows)
    assert failed(result) == [
        "expect_column_pair_values_a_to_be_greater_than_b(start_date, preceding_end_date)"
    ]
    assert result.failures[0].sample[0] == {
        "trajectory_id": "TA2",
        "start_date": "2021-03-15",
        "preceding_end_date": "2021-03-31",
    }


def test_trajectories_of_different_clients_may_overlap(settings: Settings) -> None:
    rows = [*TRAJECTORIES, traj("TF1", "F", "2021-02-01", "2021-02-28", "closed", 28, 1)]
    assert run(settings, "trajectories_no_overlap", trajectories=rows).success


# -------------------------------------------------------------- status and dates (§4)


@pytest.mark.parametrize(
    ("tid", "changes", "expected_failures"),
    [
        pytest.param(
            "TC1",
            {"status": "closed"},
            ["expect_column_pair_values_to_be_equal(status, expected_status)"],
            id="ended-called-closed",
        ),
        pytest.param(
            "TD1",
            {"status": "ended"},
            ["expect_column_pair_values_to_be_equal(status, expected_status)"],
            id="end-on-peildatum-is-ongoing",
        ),
        pytest.param(
            "TC1",
            {"status": "open"},
            [
                "expect_column_values_to_be_in_set(status)",
                "expect_column_pair_values_to_be_equal(status, expected_status)",
            ],
            id="status-outside-set",
        ),
        pytest.param(
            "TA1",
            {"duration_days": 89},
            ["expect_column_pair_values_to_be_equal(duration_days, expected_duration_days)"],
            id="duration-off-by-one",
        ),
        pytest.param(
            "TB2",
            {"duration_days": 100},
            ["expect_column_pair_values_to_be_equal(duration_days, expected_duration_days)"],
            id="ongoing-has-no-duration",
        ),
        pytest.param(
            "TA1",
            {"n_allocations": 0},
            ["expect_column_values_to_be_between(n_allocations)"],
            id="no-allocations",
        ),
        pytest.param(
            "TC1",
            {"trajectory_id": "TB1"},
            ["expect_column_values_to_be_unique(trajectory_id)"],
            id="duplicate-id",
        ),
    ],
)
def test_status_and_dates_violation_is_named(settings, tid, changes, expected_failures):
    rows = changed(TRAJECTORIES, tid, **changes)
    result = run(settings, "trajectories_status_dates", trajectories=rows)
    assert failed(result) == expected_failures


def test_end_before_start_fails(settings: Settings) -> None:
    rows = changed(TRAJECTORIES, "TC1", start_date="2023-10-01", duration_days=0)
    result = run(settings, "trajectories_status_dates", trajectories=rows)
    assert failed(result) == [
        "expect_column_pair_values_a_to_be_greater_than_b(end_date, start_date)"
    ]


def test_status_follows_configured_gap_months(settings: Settings) -> None:
    # With a 3-month gap, TC1 (end 2023-09-30) is final from 2024-01-01: closed, not ended.
    three = Settings(working_db=settings.working_db_path, peildatum=PEILDATUM, gap_months=3)
    build_marts(three.working_db_path)
    result = run_suite_again(three, "trajectories_status_dates")
    assert result.failures[0].sample == (
        {"trajectory_id": "TC1", "status": "ended", "expected_status": "closed"},
    )


# ------------------------------------------------------------ allocations (§3, §4)


def test_allocation_outside_any_trajectory_fails(settings: Settings) -> None:
    # 2021-05-01..05-31 lies between TA1 and TA2.
    allocations = changed(ALLOCATIONS, "a1", ingangsdatum="2021-05-01", einddatum="2021-05-31")
    result = run(settings, "allocations_in_one_trajectory", allocations=allocations)
    assert failed(result) == [
        "expect_column_values_to_be_in_set(n_containing_trajectories)",
        "expect_column_pair_values_to_be_equal(jeugdhulp_trajectory_id, containing_trajectory_ids)",
    ]
    assert result.failures[0].sample == ({"allocation_key": "a1", "n_containing_trajectories": 0},)


def test_open_ended_allocation_in_closed_trajectory_fails(settings: Settings) -> None:
    allocations = changed(ALLOCATIONS, "c1", einddatum=None)
    result = run(settings, "allocations_in_one_trajectory", allocations=allocations)
    assert "expect_column_values_to_be_in_set(n_containing_trajectories)" in failed(result)


def test_allocation_in_two_trajectories_fails(settings: Settings) -> None:
    trajectories = [
        *TRAJECTORIES,
        traj("TF1", "F", "2021-01-01", "2021-12-31", "closed", 365, 1),
        traj("TF2", "F", "2021-06-01", "2022-06-30", "closed", 395, 0, True, -214, "TF1"),
    ]
    allocations = [*ALLOCATIONS, alloc("f1", "F", "2021-07-01", "2021-08-31", "TF1")]
    result = run(
        settings,
        "allocations_in_one_trajectory",
        trajectories=trajectories,
        allocations=allocations,
    )
    assert failed(result) == [
        "expect_column_values_to_be_in_set(n_containing_trajectories)",
        "expect_column_pair_values_to_be_equal(jeugdhulp_trajectory_id, containing_trajectory_ids)",
    ]
    assert result.failures[1].sample[0]["containing_trajectory_ids"] == "TF1,TF2"


def test_allocation_naming_another_trajectory_of_the_client_fails(settings: Settings) -> None:
    allocations = changed(ALLOCATIONS, "a3", trajectory_id="TA1")
    result = run(settings, "allocations_in_one_trajectory", allocations=allocations)
    assert failed(result) == [
        "expect_column_pair_values_to_be_equal(jeugdhulp_trajectory_id, containing_trajectory_ids)"
    ]


def test_non_jeugdhulp_allocation_names_no_trajectory(settings: Settings) -> None:
    allocations = changed(ALLOCATIONS, "a4", trajectory_id="TA1")
    result = run(settings, "allocations_in_one_trajectory", allocations=allocations)
    assert failed(result) == ["expect_column_values_to_be_null(non_jeugdhulp_trajectory_id)"]


def test_n_allocations_equals_allocations_naming_the_trajectory(settings: Settings) -> None:
    trajectories = changed(TRAJECTORIES, "TA2", n_allocations=3)
    result = run(settings, "trajectories_allocation_count", trajectories=trajectories)
    assert failed(result) == [
        "expect_column_pair_values_to_be_equal(n_allocations, allocations_naming_trajectory)"
    ]
    assert result.failures[0].sample == (
        {"trajectory_id": "TA2", "n_allocations": 3, "allocations_naming_trajectory": 2},
    )


# ---------------------------------------------------------------- personal data (§7)

EXTRA_TYPES = {"gemeentecode": "VARCHAR", "value": "INTEGER"}


@pytest.mark.parametrize(
    ("column", "passes"),
    [
        ("bsn", False),
        ("client_BSN", False),
        ("Geboortedatum", False),
        ("birth_date", False),
        ("voornaam", False),
        ("achternaam", False),
        ("naam", False),
        ("client_name", False),
        ("postcode", False),
        ("woonadres", False),
        ("gemeentenaam", True),
        ("regio_naam", True),
        ("indicator_name", True),
    ],
)
def test_personal_column_names_are_refused(settings, column, passes):
    extra = {"indicator_test": ({**EXTRA_TYPES, column: "INTEGER"}, [])}
    result = run(settings, "marts_no_personal_data", extra=extra)
    assert result.success is passes
    if not passes:
        (failure,) = result.failures
        assert failure.expectation_type == "expect_column_values_to_not_match_regex"
        assert failure.sample == ({"table_name": "indicator_test", "column_name": column},)


def test_nine_digit_text_value_is_refused_by_count_only(settings: Settings) -> None:
    allocations = changed(ALLOCATIONS, "b1", productcode="123456782")
    result = run(settings, "marts_no_personal_data", allocations=allocations)
    assert failed(result) == ["expect_column_values_to_be_in_set(nine_digit_values)"]
    (failure,) = result.failures
    assert failure.sample == (
        {"table_name": "fct_allocations", "column_name": "productcode", "nine_digit_values": 1},
    )
    assert "123456782" not in result.summary()


def test_eight_digit_agb_and_nine_digit_integers_are_not_bsn_values(settings: Settings) -> None:
    extra = {"indicator_test": (EXTRA_TYPES, [{"gemeentecode": "0153", "value": 123456782}])}
    result = run(settings, "marts_no_personal_data", extra=extra)
    assert result.success, result.summary()


# ----------------------------------------------------------- segment trajectories (§4)


def test_segment_reentry_too_early_fails_the_segment_suite(settings: Settings) -> None:
    rows = segments(
        changed(TRAJECTORIES, "TA2", start_date="2021-09-30", gap_days=182, duration_days=274)
    )
    result = run(settings, "segment_trajectories_reentry_gap", segment_trajectories=rows)
    assert failed(result) == [GAP_RULE]
    assert result.failures[0].sample[0]["trajectory_id"] == "STA2"


def test_segment_chains_are_per_dimension_value(settings: Settings) -> None:
    # A behandeling segment trajectory overlapping a begeleiding one is fine.
    rows = segments(TRAJECTORIES)
    rows.append({**rows[0], "segment_trajectory_id": "SX1", "dimension_value": "behandeling"})
    result = run(settings, "segment_trajectories_no_overlap", segment_trajectories=rows)
    assert result.success, result.summary()


def test_nine_digit_allocation_number_is_no_bsn_when_delivered_bsns_are_known(
    settings: Settings,
) -> None:
    """With raw BSNs in the working database only real delivered BSNs count, so a 9-digit
    toewijzingnummer (even one passing the eleven-test) does not block publication."""
    allocations = changed(ALLOCATIONS, "b1", productcode="123456782")
    con = duckdb.connect(str(settings.working_db_path))
    con.execute("create schema if not exists raw")
    con.execute("create or replace table raw.allocations as select '111222333' as bsn")
    con.execute("create or replace table raw.declarations as select '111222333' as bsn")
    con.close()
    result = run(settings, "marts_no_personal_data", allocations=allocations)
    assert result.success, result.summary()


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        ("111222334", True),
        ("  111222334", True),
        ("111222334 ", True),
        (" 111222334 ", True),
        ("1112223345", False),
        ("\t111222334", False),
        ("11122233é", False),
    ],
)
def test_delivered_bsn_in_a_mart_is_refused(settings: Settings, value: str, refused: bool) -> None:
    """A value counts when trimmed of spaces it is a delivered BSN (padding does not hide
    one; a tab is not trimmed, a tenth character is another value)."""
    allocations = changed(ALLOCATIONS, "b1", productcode=value)
    con = duckdb.connect(str(settings.working_db_path))
    con.execute("create schema if not exists raw")
    con.execute("create or replace table raw.allocations as select '111222334' as bsn")
    con.execute("create or replace table raw.declarations as select '999999999' as bsn")
    con.close()
    result = run(settings, "marts_no_personal_data", allocations=allocations)
    if refused:
        assert failed(result) == ["expect_column_values_to_be_in_set(nine_digit_values)"]
    else:
        assert result.success, result.summary()


@pytest.mark.parametrize(
    ("value", "refused"),
    [("123456782", True), (" 123456782  ", True), ("1234567820", False), ("12345678é", False)],
)
def test_eleven_test_bsn_without_raw_tables_is_refused_padded_or_not(
    settings: Settings, value: str, refused: bool
) -> None:
    allocations = changed(ALLOCATIONS, "b1", productcode=value)
    result = run(settings, "marts_no_personal_data", allocations=allocations)
    assert result.success is not refused, result.summary()


# ----------------------------------------------- allocation span of a trajectory (§4)

INNER_GAP = "expect_column_values_to_be_in_set(has_inner_gap)"
SPAN_START = "expect_column_pair_values_to_be_equal(start_date, expected_start_date)"
SPAN_END = "expect_column_pair_values_to_be_equal(end_date, expected_end_date)"
SPAN_COUNT = "expect_column_pair_values_to_be_equal(n_allocations, expected_n_allocations)"
SPAN_SOME = "expect_column_values_to_be_between(expected_n_allocations)"


def client_e(*spans: tuple[str, str | None], trajectory_end: Any = "auto", start=None, n=None):
    """Marts with client E's allocations `spans` all in one trajectory TE1 (its end the latest
    einddatum, empty if one is open, unless given)."""
    allocations = [*ALLOCATIONS]
    for i, (begin, end) in enumerate(spans, start=1):
        allocations.append(alloc(f"e{i}", "E", begin, end, "TE1"))
    ends = [end for _, end in spans]
    if trajectory_end == "auto":
        trajectory_end = None if None in ends else max(ends)
    first = min(begin for begin, _ in spans)
    row = traj("TE1", "E", start or first, trajectory_end, "closed", 1, n or len(spans))
    return {"trajectories": [*TRAJECTORIES, row], "allocations": allocations}


@pytest.mark.parametrize(
    ("second_start", "passes"),
    [
        ("2024-02-28", True),  # before 2023-08-31 + 6 months: joins the trajectory
        ("2024-02-29", False),  # 2023-08-31 + 6 months = 2024-02-29 (leap year): a new one
    ],
)
def test_a_break_of_six_months_inside_a_trajectory_should_have_split_it(
    settings, second_start, passes
):
    marts = client_e(("2023-03-01", "2023-08-30"), (second_start, "2024-03-31"))
    result = run(settings, "trajectories_allocation_span", **marts)
    assert failed(result) == ([] if passes else [INNER_GAP])
    if not passes:
        (failure,) = result.failures
        assert failure.sample[0]["trajectory_id"] == "TE1"


@pytest.mark.parametrize(
    ("second_start", "passes"),
    [("2023-07-30", True), ("2023-07-31", False)],  # 2023-01-31 + 6 months clamps to 07-31
)
def test_inner_gap_month_arithmetic_clamps_to_month_end(settings, second_start, passes):
    marts = client_e(("2022-10-01", "2023-01-30"), (second_start, "2023-09-30"))
    result = run(settings, "trajectories_allocation_span", **marts)
    assert failed(result) == ([] if passes else [INNER_GAP])


def test_inner_gap_follows_configured_gap_months(tmp_path: Path) -> None:
    """Seven months apart: a break under gap 6, none under gap 12."""
    marts = client_e(("2022-01-01", "2022-01-31"), ("2022-09-01", "2022-09-30"))
    for gap, passes in ((6, False), (12, True)):
        settings = Settings(
            working_db=tmp_path / f"g{gap}.duckdb", peildatum=PEILDATUM, gap_months=gap
        )
        assert run(settings, "trajectories_allocation_span", **marts).success is passes


def test_covered_until_is_the_latest_end_so_far_not_the_last_allocations(settings) -> None:
    """Overlapping allocations: e2 ends early inside e1, so e3 is measured from e1's end
    (2023-12-31 + 1 day + 6 months = 2024-07-01), not from e2's: no break."""
    marts = client_e(
        ("2023-01-01", "2023-12-31"), ("2023-02-01", "2023-03-31"), ("2024-05-01", "2024-05-31")
    )
    assert run(settings, "trajectories_allocation_span", **marts).success


def test_an_open_ended_allocation_covers_everything_after_it(settings) -> None:
    marts = client_e(("2020-01-01", None), ("2023-01-01", "2023-02-01"))
    assert run(settings, "trajectories_allocation_span", **marts).success
    settings.working_db_path.unlink()
    stated = client_e(
        ("2020-01-01", None), ("2023-01-01", "2023-02-01"), trajectory_end="2023-02-01"
    )
    assert failed(run(settings, "trajectories_allocation_span", **stated)) == [SPAN_END]


def test_a_same_day_transition_joins(settings) -> None:
    marts = client_e(("2023-01-01", "2023-03-31"), ("2023-04-01", "2023-06-30"))
    assert run(settings, "trajectories_allocation_span", **marts).success


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"trajectory_end": "2023-05-31"}, SPAN_END),  # not the covered_until 2023-06-30
        ({"start": "2023-01-02"}, SPAN_START),  # a later start leaves e1 outside: n 1 of 2
        ({"n": 3}, SPAN_COUNT),
    ],
)
def test_start_end_and_count_are_those_of_the_allocations(settings, changes, rule) -> None:
    marts = client_e(("2023-01-01", "2023-03-31"), ("2023-04-01", "2023-06-30"), **changes)
    assert rule in failed(run(settings, "trajectories_allocation_span", **marts))


def test_a_trajectory_without_allocations_fails(settings) -> None:
    rows = [*TRAJECTORIES, traj("TX1", "X", "2022-01-01", "2022-02-01", "closed", 32, 1)]
    result = run(settings, "trajectories_allocation_span", trajectories=rows)
    assert SPAN_SOME in failed(result)


def test_a_withdrawn_allocation_bridging_a_gap_is_not_counted(settings) -> None:
    """The bridge is not in fct_allocations (withdrawn): the chain has a break of 6½ months."""
    marts = client_e(("2022-01-01", "2022-03-31"), ("2022-10-15", "2022-12-31"))
    assert failed(run(settings, "trajectories_allocation_span", **marts)) == [INNER_GAP]


def test_segment_trajectories_are_rebuilt_per_dimension_value(settings) -> None:
    allocations = [
        *ALLOCATIONS,
        alloc("e1", "E", "2022-01-01", "2022-03-31", None),
        {**alloc("e2", "E", "2022-05-01", "2022-06-30", None), "hulpvorm": "behandeling"},
        alloc("e3", "E", "2022-11-01", "2022-12-31", None),
    ]
    bridged = segments(TRAJECTORIES) + [
        {**segments([traj("TE1", "E", "2022-01-01", "2022-12-31", "closed", 365, 2)])[0]},
        {
            **segments([traj("TE2", "E", "2022-05-01", "2022-06-30", "closed", 61, 1)])[0],
            "dimension_value": "behandeling",
        },
    ]
    result = run(
        settings,
        "segment_trajectories_allocation_span",
        allocations=allocations,
        segment_trajectories=bridged,
    )
    assert failed(result) == [INNER_GAP]  # begeleiding e1 → e3 is 7 months: behandeling apart
    assert result.failures[0].sample[0]["trajectory_id"] == "STE1"


# ------------------------------------------------------ effective versions from raw (§2)


def effective_rule(rule: str) -> str:
    return f"expect_column_values_to_be_null({rule})"


def versions(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [raw_version(a) for a in ALLOCATIONS] + list(extra)


A1 = ALLOCATIONS[0]
A2 = ALLOCATIONS[1]


def test_a_withdrawn_allocation_is_not_published(settings) -> None:
    withdrawal = raw_version(A1, "2021-06-01", einddatum="2020-12-31")  # before ingangsdatum
    result = run(settings, "allocations_effective_versions", raw_versions=versions(withdrawal))
    assert failed(result) == [effective_rule("withdrawn_published")]
    assert result.failures[0].sample[0] == {"gemeentecode": "0153", "withdrawn_published": "Ta1"}
    rest = [a for a in ALLOCATIONS if a["allocation_key"] != "a1"]
    fine = run_again(settings, "allocations_effective_versions", rest, versions(withdrawal))
    assert fine.success, fine.summary()


def run_again(settings: Settings, name: str, allocations, raw_versions) -> SuiteResult:
    settings.working_db_path.unlink(missing_ok=True)
    return run(settings, name, allocations=allocations, raw_versions=raw_versions)


def test_a_later_version_corrects_the_dates(settings) -> None:
    correction = raw_version(A2, "2021-12-01", einddatum="2022-02-28")
    result = run(settings, "allocations_effective_versions", raw_versions=versions(correction))
    assert failed(result) == [effective_rule("dates_differ")]
    corrected = changed(ALLOCATIONS, "a2", einddatum="2022-02-28")
    fine = run_again(settings, "allocations_effective_versions", corrected, versions(correction))
    assert fine.success, fine.summary()


def test_an_undated_version_ranks_below_dated_ones(settings) -> None:
    undated = raw_version(A2, None, file_seq=9, einddatum="2022-02-28")
    result = run(settings, "allocations_effective_versions", raw_versions=versions(undated))
    assert result.success, result.summary()


def test_undated_versions_rank_by_later_file_then_later_row(settings) -> None:
    first = raw_version(A2, None, file_seq=2, source_row=9, einddatum="2022-01-30")
    later_file = raw_version(A2, None, file_seq=3, source_row=1, einddatum="2022-02-27")
    later_row = raw_version(A2, None, file_seq=3, source_row=2, einddatum="2022-02-28")
    undated = [raw_version(a) for a in ALLOCATIONS if a["allocation_key"] != "a2"]
    raw = [*undated, first, later_file, later_row]
    corrected = changed(ALLOCATIONS, "a2", einddatum="2022-02-28")
    assert run(
        settings, "allocations_effective_versions", allocations=corrected, raw_versions=raw
    ).success
    wrong = changed(ALLOCATIONS, "a2", einddatum="2022-02-27")
    result = run_again(settings, "allocations_effective_versions", wrong, raw)
    assert failed(result) == [effective_rule("dates_differ")]


@pytest.mark.parametrize(
    ("allocations", "raw", "rule"),
    [
        ([a for a in ALLOCATIONS if a["allocation_key"] != "b1"], None, "effective_missing"),
        ([*ALLOCATIONS, ALLOCATIONS[4]], None, "effective_repeated"),
        (ALLOCATIONS, [raw_version(a) for a in ALLOCATIONS[1:]], "not_delivered"),
        (changed(ALLOCATIONS, "b1", aanbieder_agb="87654321"), None, "aanbieder_differs"),
        (changed(ALLOCATIONS, "b1", productcode="45A12"), None, "product_differs"),
        (changed(ALLOCATIONS, "b1", ingangsdatum="2022-03-02"), None, "dates_differ"),
    ],
)
def test_every_effective_allocation_is_published_once_as_delivered(
    settings, allocations, raw, rule
) -> None:
    raw = raw if raw is not None else versions()
    result = run(
        settings, "allocations_effective_versions", allocations=allocations, raw_versions=raw
    )
    assert failed(result) == [effective_rule(rule)]


# -------------------------------------------------------------- small-cell suppression (§7)

SUPPRESSED = "expect_column_pair_values_to_be_equal(suppressed, expected_suppressed)"


@pytest.mark.parametrize(
    ("gemeente", "changes", "rules"),
    [
        (
            "0153",
            {"numerator": 1, "denominator": 3, "value": 33, "suppressed": False},
            [
                SUPPRESSED,
                *(effective_rule(f"small_cell_{c}") for c in ("value", "numerator", "denominator")),
            ],
        ),
        ("0153", {"value": 33}, [effective_rule("small_cell_value")]),
        (
            "0164",
            {"numerator": None, "denominator": None, "value": None, "suppressed": True},
            [SUPPRESSED],
        ),  # 5 clients: at the threshold, shown
        ("0173", {"suppressed": True, "value": None}, [SUPPRESSED]),  # no client: not small
        ("0153", {"n_clients": -1}, ["expect_column_values_to_not_be_null(n_clients)"]),
    ],
)
def test_cells_under_the_threshold_are_suppressed_and_only_they(settings, gemeente, changes, rules):
    assert run(settings, "indicator_suppression").success
    settings.working_db_path.unlink()
    cells = [dict(c) for c in CELLS]
    [target] = [c for c in cells if c["gemeentecode"] == gemeente]
    target.update(changes)
    assert failed(run(settings, "indicator_suppression", cells=cells)) == rules


# --------------------------------------------------------------- insufficient cells (§7)


@pytest.mark.parametrize(
    ("changes", "rules"),
    [
        # the 2023 regio cell, on 12 clients, with an unknown-able fact
        ({"coverage": 0.8}, []),  # exactly the minimum coverage (0.8): enough
        (
            {"coverage": 0.5, "data_quality": "insufficient", "value": None},
            [effective_rule(f"insufficient_{c}") for c in ("numerator", "denominator")],
        ),
        (
            {
                "coverage": 0.5,
                "data_quality": "insufficient",
                "value": None,
                "numerator": None,
                "denominator": None,
                "meets_target": True,
            },
            [effective_rule("insufficient_meets_target")],
        ),
        ({"coverage": 0.5}, [effective_rule("low_coverage_not_insufficient")]),
        (
            {
                "coverage": 0.9,
                "data_quality": "insufficient",
                "value": None,
                "numerator": None,
                "denominator": None,
            },
            [effective_rule("enough_coverage_insufficient")],
        ),
        ({"data_quality": "unknown"}, ["expect_column_values_to_be_in_set(data_quality)"]),
        ({"coverage": 1.5}, ["expect_column_values_to_be_between(coverage)"]),
    ],
)
def test_insufficient_cells_carry_no_value_and_no_verdict(settings, changes, rules):
    cells = [dict(c) for c in CELLS]
    cells[0].update(changes)
    assert failed(run(settings, "indicator_insufficient_cells", cells=cells)) == rules
