"""Checks on the increment (docs/INCREMENTAL.md, "The checks"): a check validates only the
clients whose rows changed since the published marts passed it, and still finds every defect
the full check finds: in a changed client, in an id shared with an unchanged client, in a status
the peildatum's move flips. Anything it cannot vouch for is checked in full."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.check_passes import (
    DBT_TESTS_PASS,
    checks_version,
    current_passes,
    passes_dir,
    record_pass,
)
from orchestration.checks import scope as check_scope
from orchestration.checks.asset_checks import run_mart_check
from orchestration.checks.frames import prepare_status_dates
from orchestration.checks.scope import CHECKED_COLUMNS, CLIENTS_TABLE, Scope, status_window
from orchestration.checks.suites import MART_SUITES, SUITE_NAMES, get_mart_suite
from orchestration.config import Settings
from orchestration.publish import publish_marts
from tests.conftest import CASES, make_landing, run_args, run_cli

PEILDATUM = dt.date(2024, 1, 1)
MARTS = [
    "fct_allocations",
    "fct_declarations_monthly",
    "fct_segment_trajectories",
    "fct_trajectories",
]
SCOPED = [s.name for s in MART_SUITES if s.scoped]


# --- the peildatum window ---------------------------------------------------------------------

TRAJECTORY_COLUMNS = """
    trajectory_id varchar, client_key varchar, start_date date, end_date date, status varchar,
    duration_days integer, n_allocations integer
"""


def _ends_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema marts")
    con.execute(f"create table marts.fct_trajectories ({TRAJECTORY_COLUMNS})")
    con.execute(
        """
        insert into marts.fct_trajectories
        select 'T' || cast(d as varchar), 'C', date '2020-01-01', cast(d as date), 'ongoing', 1, 1
        from range(date '2021-06-01', date '2026-06-01', interval 1 day) as r(d)
        union all select 'OPEN', 'C', date '2020-01-01', null, 'ongoing', null, 1
        """
    )


@pytest.mark.parametrize("gap_months", [1, 6, 12])
def test_status_window_holds_every_end_whose_status_differs_between_two_peildatums(
    gap_months: int,
) -> None:
    """The frames' own rule, at both peildatums, over every end date of five years: each end
    whose expected status (or duration) differs lies in the window. Month ends, leap days and
    moves forward, back, by a day, a month and a year."""
    con = duckdb.connect()
    _ends_table(con)
    days = [
        dt.date(2023, 12, 31),
        dt.date(2024, 1, 1),
        dt.date(2024, 2, 28),
        dt.date(2024, 2, 29),
        dt.date(2024, 3, 1),
        dt.date(2024, 3, 31),
        dt.date(2024, 4, 30),
        dt.date(2024, 8, 31),
        dt.date(2024, 12, 31),
        dt.date(2025, 2, 28),
    ]
    frames = {}
    for day in {d + dt.timedelta(days=k) for d in days for k in (0, 1, -1, 31, 365)}:
        settings = Settings(peildatum=day, gap_months=gap_months)
        frame = prepare_status_dates(con, settings).set_index("trajectory_id")
        frames[day] = frame[["expected_status", "expected_duration_days"]]
    checked = 0
    for one in days:
        for move in (1, -1, 31, 365):
            other = one + dt.timedelta(days=move)
            a, b = frames[one], frames[other]
            differs = (a["expected_status"] != b["expected_status"]) | (
                a["expected_duration_days"].fillna(-1) != b["expected_duration_days"].fillna(-1)
            )
            window = set(
                r[0]
                for r in con.execute(
                    "select trajectory_id from marts.fct_trajectories where "
                    + status_window("end_date", one, other, gap_months)
                ).fetchall()
            )
            flipped = set(differs[differs].index)
            assert flipped, (one, other)  # the move flips something, so the test can fail
            assert flipped <= window, (one, other, sorted(flipped - window)[:5])
            assert "OPEN" not in window
            checked += len(flipped)
            if abs(move) == 1:  # the window of a day's move is a few months of ends, not all
                assert len(window) <= 31 * (gap_months + 2)
    assert checked > 0


# --- the columns the frames read -------------------------------------------------------------

CUT_DOWN = {
    "fct_trajectories": """
        select 'T1' as trajectory_id, 'C1' as client_key, date '2021-01-01' as start_date,
               date '2021-03-31' as end_date, 'closed' as status, 90 as duration_days,
               1 as n_allocations, false as is_reentry, null::integer as gap_days,
               null::varchar as previous_trajectory_id""",
    "fct_segment_trajectories": """
        select 'S1' as segment_trajectory_id, 'C1' as client_key, 'hulpvorm' as dimension,
               'ambulant' as dimension_value, date '2021-01-01' as start_date,
               date '2021-03-31' as end_date, 'closed' as status, 90 as duration_days,
               1 as n_allocations, false as is_reentry, null::integer as gap_days,
               null::varchar as previous_segment_trajectory_id""",
    "fct_allocations": """
        select 'A1' as allocation_key, 'C1' as client_key, true as counts_as_jeugdhulp,
               'T1' as trajectory_id, date '2021-01-01' as ingangsdatum,
               date '2021-03-31' as einddatum, 'TW1' as toewijzingnummer,
               '0153' as gemeentecode, 'ambulant' as hulpvorm, null::varchar as segment""",
}


@pytest.mark.parametrize("name", SCOPED)
def test_every_scoped_frame_reads_only_the_columns_the_scope_compares(name: str) -> None:
    """A column a frame reads but the scope does not compare would let a change in it go
    unchecked: on marts holding only the compared columns every scoped frame still builds."""
    con = duckdb.connect()
    con.execute("create schema marts")
    for table, sql in CUT_DOWN.items():
        con.execute(f"create table marts.{table} as {sql}")
        assert [c[0] for c in con.execute(f"describe marts.{table}").fetchall()] == list(
            CHECKED_COLUMNS[table]
        )
    con.execute(f"create temp table {CLIENTS_TABLE} as select 'C1' as client_key")
    suite = get_mart_suite(name)
    settings = Settings(peildatum=PEILDATUM)
    whole = suite.prepare(con, settings)
    scoped = suite.prepare(
        con, settings, scope=Scope(1, PEILDATUM - dt.timedelta(days=1), PEILDATUM, 6)
    )
    assert len(whole) == len(scoped) == 1


@pytest.mark.parametrize("name", SCOPED)
def test_every_scoped_suite_decides_row_by_row(name: str) -> None:
    """Scoping is sound for expectations that decide per row (or per id); the suites in the
    repository hold only those, so nights are scoped."""
    assert check_scope.not_per_row(get_mart_suite(name).suite) == ""


def test_an_expectation_with_mostly_or_a_table_bound_means_checking_everything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    suite = {"expectations": [{"type": "expect_column_values_to_be_in_set", "kwargs": {}}]}
    monkeypatch.setattr(check_scope, "load_suite_json", lambda _name: suite)
    assert check_scope.not_per_row("x") == ""
    suite["expectations"][0]["kwargs"]["mostly"] = 0.95
    assert check_scope.not_per_row("x") == "expect_column_values_to_be_in_set"
    suite["expectations"] = [{"type": "expect_table_row_count_to_be_between", "kwargs": {}}]
    assert check_scope.not_per_row("x") == "expect_table_row_count_to_be_between"
    con = duckdb.connect()
    scope, said = check_scope.decide(con, Settings(), "x", "x")
    assert scope is None
    assert (
        said
        == "expect_table_row_count_to_be_between does not decide row by row: every row is checked"
    )


# --- pass records ------------------------------------------------------------------------------


def test_a_pass_counts_only_for_the_publication_file_it_was_taken_on(tmp_path: Path) -> None:
    publication = tmp_path / "next.duckdb"
    duckdb.connect(str(publication)).close()
    record_pass(publication, "x", peildatum=PEILDATUM, gap_months=6, version="v")
    assert [p.check for p in current_passes(publication)] == ["x"]
    con = duckdb.connect(str(publication))  # written since: another file as far as passes go
    con.execute("create table t as select 1")
    con.close()
    assert current_passes(publication) == []
    (passes_dir(publication) / "torn.json").write_text("{", encoding="utf-8")
    assert current_passes(publication) == []


# --- against a published warehouse ------------------------------------------------------------


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real publication of the worked cases (its folder: warehouse and working database)."""
    root = tmp_path_factory.mktemp("scope")
    landing = make_landing(root, allocations=[CASES / "allocations.csv"])
    warehouse = root / "wh" / "jeugdhulp.duckdb"
    result = run_cli(
        run_args(landing, warehouse, peildatum=PEILDATUM.isoformat()),
        env_extra={"DAGSTER_HOME": str(root)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return warehouse.parent


def _night(published: Path, tmp_path: Path, sql: str = "") -> Settings:
    """A copy of the published folder whose next publication is the published marts changed by
    `sql`, as dbt would have built it."""
    folder = tmp_path / "wh"
    shutil.copytree(published, folder)
    settings = Settings(warehouse=folder / "jeugdhulp.duckdb", peildatum=PEILDATUM)
    shutil.copy(settings.warehouse, settings.publication_db_path)
    if sql:
        con = duckdb.connect(str(settings.publication_db_path))
        con.execute(sql)
        con.close()
    return settings


def _check(name: str, settings: Settings, **kwargs: object) -> tuple[bool, str, int]:
    result = run_mart_check(get_mart_suite(name), settings, **kwargs)
    return result.passed, result.metadata["scope"].value, result.metadata["rows_validated"].value


def _count(settings: Settings, sql: str) -> int:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()[0][0]
    finally:
        con.close()


@pytest.mark.slow
def test_a_publication_records_every_check_it_passed(published: Path) -> None:
    con = duckdb.connect(str(published / "jeugdhulp.duckdb"), read_only=True)
    rows = con.execute("select * from meta.checks_passed order by blocking_check").fetchall()
    con.close()
    assert [r[0] for r in rows] == sorted([*SUITE_NAMES, DBT_TESTS_PASS])
    assert {r[1:] for r in rows} == {(checks_version(), PEILDATUM, 6)}


@pytest.mark.slow
def test_an_unchanged_night_checks_no_row_and_passes(published: Path, tmp_path: Path) -> None:
    settings = _night(published, tmp_path)
    for name in SCOPED:
        passed, scope, rows = _check(name, settings)
        assert passed, name
        assert scope.startswith("rows of 0 client(s) changed"), scope
        assert rows == 0, name
    assert {p.check for p in current_passes(settings.publication_db_path)} == set(SCOPED)


@pytest.mark.slow
def test_a_changed_client_is_checked_alone_and_its_defect_found(
    published: Path, tmp_path: Path
) -> None:
    client = "(select min(client_key) from marts.fct_trajectories where is_reentry)"
    settings = _night(  # a re-entry that no longer says so: wrong whatever its dates
        published,
        tmp_path,
        f"update marts.fct_trajectories set is_reentry = false where client_key = {client}",
    )
    passed, scope, rows = _check("trajectories_reentry_gap", settings)
    assert not passed
    assert scope.startswith("rows of 1 client(s) changed"), scope
    total = _count(settings, "select count(*) from marts.fct_trajectories")
    assert 0 < rows < total
    assert _check("trajectories_no_overlap", settings)[0]


@pytest.mark.slow
def test_a_removed_trajectory_puts_its_client_in_scope(published: Path, tmp_path: Path) -> None:
    """The client's first trajectory is gone and the re-entry after it is left as it was: only
    the removed row differs from the published marts, yet the re-entry that now comes first is
    checked and found."""
    settings = _night(
        published,
        tmp_path,
        "delete from marts.fct_trajectories where trajectory_id in (select previous_trajectory_id "
        "from marts.fct_trajectories where is_reentry order by trajectory_id limit 1)",
    )
    passed, scope, _ = _check("trajectories_reentry_gap", settings)
    assert not passed
    assert scope.startswith("rows of 1 client(s) changed"), scope


SHARED_ID = {
    "trajectories_status_dates": (
        "insert into marts.fct_trajectories select * replace ('new-client' as client_key) "
        "from marts.fct_trajectories where not is_reentry order by trajectory_id limit 1"
    ),
    "segment_trajectories_status_dates": (
        "insert into marts.fct_segment_trajectories select * replace ('new-client' as client_key) "
        "from marts.fct_segment_trajectories where not is_reentry order by segment_trajectory_id limit 1"
    ),
    "allocations_in_one_trajectory": (
        "insert into marts.fct_allocations select * replace ('new-client' as client_key, "
        "false as counts_as_jeugdhulp, null as trajectory_id) from marts.fct_allocations order by allocation_key limit 1"
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("check", sorted(SHARED_ID))
def test_an_id_shared_with_an_unchanged_client_is_found(
    published: Path, tmp_path: Path, check: str
) -> None:
    """A new client's row takes the id of an unchanged client's row (and is valid in itself):
    only the new client differs from the published marts, yet the uniqueness check sees both."""
    settings = _night(published, tmp_path, SHARED_ID[check])
    passed, scope, rows = _check(check, settings)
    assert not passed
    assert scope.startswith("rows of 2 client(s) changed"), scope
    assert rows >= 2


@pytest.mark.slow
def test_a_moved_peildatum_checks_the_statuses_it_can_flip(published: Path, tmp_path: Path) -> None:
    """Marts built for the old peildatum, checked for a later one: no client's rows changed, but
    statuses that the move flips are wrong and found."""
    night = _night(published, tmp_path)
    later = Settings(warehouse=night.warehouse, peildatum=dt.date(2025, 1, 1))
    flips = _count(
        night,
        "select count(*) from marts.fct_trajectories where status <> 'closed' and end_date is "
        "not null and end_date + interval 1 day + interval 6 month <= date '2025-01-01'",
    )
    assert flips > 0
    passed, scope, rows = _check("trajectories_status_dates", later)
    assert not passed
    assert "peildatum moved from 2024-01-01" in scope
    assert rows >= flips


@pytest.mark.slow
def test_what_cannot_be_vouched_for_is_checked_in_full(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _night(published, tmp_path)
    total = _count(settings, "select count(*) from marts.fct_trajectories")
    assert _check("trajectories_no_overlap", settings, full=True) == (
        True,
        "full rebuild: every row is checked",
        total,
    )
    other_gap = Settings(warehouse=settings.warehouse, peildatum=PEILDATUM, gap_months=3)
    assert _check("trajectories_no_overlap", other_gap)[1:] == (
        "the gap months changed: every row is checked",
        total,
    )
    monkeypatch.setattr(check_scope, "checks_version", lambda: "another version")
    assert _check("trajectories_no_overlap", settings)[1:] == (
        "the checks changed since the published marts passed: every row is checked",
        total,
    )


@pytest.mark.slow
def test_a_publication_published_without_its_checks_carries_no_pass(
    published: Path, tmp_path: Path
) -> None:
    """Published with no check run on it (say, the publish asset selected alone): the next run
    checks every row."""
    settings = _night(published, tmp_path)
    publish_marts(settings.publication_db_path, settings.warehouse, MARTS, peildatum=PEILDATUM)
    assert _count(settings, "select count(*) from meta.checks_passed") == 0
    shutil.copy(settings.warehouse, settings.publication_db_path)
    total = _count(settings, "select count(*) from marts.fct_trajectories")
    assert _check("trajectories_no_overlap", settings)[1:] == (
        "the published marts carry no pass of this check: every row is checked",
        total,
    )
