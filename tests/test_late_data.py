"""Late and corrected data (DEFINITIONS §2, §4, §5): a later delivery that withdraws an
allocation, shortens one or credits a declaration gives the marts a full rebuild of the final
state gives.

Run A gets two deliveries (a first file and a later correcting file per entity); run B gets the
same final state as one file per entity: every allocation in its latest version (the withdrawn
one left out: it never happened) and the declaration ledger with the debit and its credit. The
marts must be equal, apart from `fct_allocations.n_versions`, which counts the delivered
versions. Peildatum 2024-07-01; expected trajectories are worked out by hand below.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import ROOT, TEST_HMAC_KEY, client_key, run_args, write_csv_landing

pytestmark = pytest.mark.slow

PEILDATUM = "2024-07-01"
VERSION_HISTORY_COLUMNS = {("fct_allocations", "n_versions")}

A, B, C, D = "725763863", "162275869", "192285142", "691682483"

FIRST_ALLOCATIONS = f"""\
T001,0153,12345678,{A},45,45A01,2022-01-01,2022-12-31,2022-01-01
T002,0153,12345678,{A},45,45A01,2023-03-01,2023-08-31,2023-03-01
T003,0153,12345678,{B},45,45A01,2023-01-01,2023-12-31,2023-01-01
T004,0153,87654321,{B},45,45A01,2023-06-01,2024-03-31,2023-06-01
T005,0153,12345678,{C},45,45A01,2023-09-01,,2023-09-01
T006,0153,12345678,{D},45,45A01,2023-02-01,2023-04-30,2023-02-01
"""
# T001 shortened to 2022-06-30: the gap to T002 is now six months or more, so A's trajectory
# splits. T004 withdrawn (einddatum before ingangsdatum). T005 ends on leap day 2024-02-29.
LATER_ALLOCATIONS = f"""\
T001,0153,12345678,{A},45,45A01,2022-01-01,2022-06-30,2022-07-15
T004,0153,87654321,{B},45,45A01,2023-06-01,2023-05-31,2023-06-15
T005,0153,12345678,{C},45,45A01,2023-09-01,2024-02-29,2024-03-01
"""
FINAL_ALLOCATIONS = f"""\
T001,0153,12345678,{A},45,45A01,2022-01-01,2022-06-30,2022-07-15
T002,0153,12345678,{A},45,45A01,2023-03-01,2023-08-31,2023-03-01
T003,0153,12345678,{B},45,45A01,2023-01-01,2023-12-31,2023-01-01
T005,0153,12345678,{C},45,45A01,2023-09-01,2024-02-29,2024-03-01
T006,0153,12345678,{D},45,45A01,2023-02-01,2023-04-30,2023-02-01
"""
FIRST_DECLARATIONS = f"""\
D001,,D,T001,0153,12345678,{A},45,45A01,2022-02-01,2022-02-28,10,04,120000
D002,,D,T003,0153,12345678,{B},45,45A01,2023-01-01,2023-01-31,5,04,50000
"""
# A partial credit of D001: 4 of its 10 hours, 40000 of its 120000 cents.
LATER_DECLARATIONS = f"""\
D003,D001,C,T001,0153,12345678,{A},45,45A01,2022-02-01,2022-02-28,4,04,40000
"""

# Per client, in start order: (start, end, status, duration_days, n_allocations, is_reentry,
# gap_days) at peildatum 2024-07-01.
EXPECTED_TRAJECTORIES = {
    # T001 now ends 2022-06-30; T002 starts 2023-03-01 >= 2022-07-01 + 6 months = 2023-01-01:
    # a re-entry. Durations: Jan..Jun 2022 = 181 days, Mar..Aug 2023 = 184 days; the gap runs
    # from 2022-07-01 to 2023-02-28 = 243 days. Both closed (2023-09-01 + 6 months <= peildatum).
    A: [
        ("2022-01-01", "2022-06-30", "closed", 181, 1, False, None),
        ("2023-03-01", "2023-08-31", "closed", 184, 1, True, 243),
    ],
    # Without the withdrawn T004 the trajectory ends 2023-12-31; 2024-01-01 + 6 months is the
    # peildatum itself, so it is closed (the boundary day is closed).
    B: [("2023-01-01", "2023-12-31", "closed", 365, 1, False, None)],
    # Open-ended no longer: ends 2024-02-29, less than six months before the peildatum: ended.
    # Sep..Feb = 30 + 31 + 30 + 31 + 31 + 29 = 182 days.
    C: [("2023-09-01", "2024-02-29", "ended", 182, 1, False, None)],
    # Untouched by the later delivery: Feb..Apr 2023 = 28 + 31 + 30 = 89 days.
    D: [("2023-02-01", "2023-04-30", "closed", 89, 1, False, None)],
}


def _landing(root: Path, files: dict[str, str]) -> Path:
    return write_csv_landing(root / "landing", files)


def _start(root: Path, landing: Path) -> tuple[subprocess.Popen, Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JEUGDHULP_")}
    env.update(JEUGDHULP_HMAC_KEY=TEST_HMAC_KEY, DAGSTER_HOME=str(root))
    warehouse = root / "warehouse" / "jeugdhulp.duckdb"
    args = run_args(landing, warehouse, peildatum=PEILDATUM)
    with open(root / "stderr.txt", "w") as stderr:  # a file: a full pipe would stall the run
        process = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    return process, warehouse


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run A (two deliveries) and run B (the final state as one file), side by side."""
    late_root = tmp_path_factory.mktemp("late")
    full_root = tmp_path_factory.mktemp("full")
    late = _landing(
        late_root,
        {
            "allocations/delivery-1.csv": FIRST_ALLOCATIONS,
            "allocations/delivery-2.csv": LATER_ALLOCATIONS,
            "declarations/delivery-1.csv": FIRST_DECLARATIONS,
            "declarations/delivery-2.csv": LATER_DECLARATIONS,
        },
    )
    full = _landing(
        full_root,
        {
            "allocations/final.csv": FINAL_ALLOCATIONS,
            "declarations/final.csv": FIRST_DECLARATIONS + LATER_DECLARATIONS,
        },
    )
    started = {"late": _start(late_root, late), "full": _start(full_root, full)}
    out: dict[str, Any] = {}
    for name, (process, warehouse) in started.items():
        process.wait(timeout=900)
        stderr = (warehouse.parent.parent / "stderr.txt").read_text()
        out[name] = (process.returncode, stderr, warehouse)
    return out


@pytest.fixture(scope="module")
def con(runs: dict[str, Any]):
    for name in ("late", "full"):
        code, stderr, _ = runs[name]
        assert code == 0, f"{name}: {stderr[-3000:]}"
    connection = duckdb.connect()
    connection.execute(f"ATTACH '{runs['late'][2]}' AS late (READ_ONLY)")
    connection.execute(f"ATTACH '{runs['full'][2]}' AS full_state (READ_ONLY)")
    yield connection
    connection.close()


def _trajectories(con: duckdb.DuckDBPyConnection, bsn: str) -> list[tuple]:
    return [
        (str(s), str(e) if e else None, st, dur, n, reentry, gap)
        for s, e, st, dur, n, reentry, gap in con.execute(
            "select start_date, end_date, status, duration_days, n_allocations, is_reentry, "
            "gap_days from late.marts.fct_trajectories where client_key = ? order by start_date",
            [client_key(bsn)],
        ).fetchall()
    ]


@pytest.mark.parametrize("bsn", sorted(EXPECTED_TRAJECTORIES))
def test_later_delivery_gives_the_hand_computed_trajectories(
    con: duckdb.DuckDBPyConnection, bsn: str
) -> None:
    assert _trajectories(con, bsn) == EXPECTED_TRAJECTORIES[bsn]


def test_reentry_after_the_split_points_at_the_earlier_trajectory(
    con: duckdb.DuckDBPyConnection,
) -> None:
    rows = con.execute(
        "select trajectory_id, previous_trajectory_id from late.marts.fct_trajectories "
        "where client_key = ? order by start_date",
        [client_key(A)],
    ).fetchall()
    assert [r[1] for r in rows] == [None, rows[0][0]]


def test_withdrawn_allocation_is_gone_and_shortened_one_has_its_new_end(
    con: duckdb.DuckDBPyConnection,
) -> None:
    rows = dict(
        con.execute(
            "select toewijzingnummer, cast(einddatum as varchar) from late.marts.fct_allocations"
        ).fetchall()
    )
    assert sorted(rows) == ["T001", "T002", "T003", "T005", "T006"]
    assert (rows["T001"], rows["T005"]) == ("2022-06-30", "2024-02-29")


def test_later_credit_nets_against_the_earlier_debit(con: duckdb.DuckDBPyConnection) -> None:
    """D001 120000 cents / 10 hours, credited 40000 / 4 hours in the later file: February 2022
    of T001 nets to 80000 cents and 6 hours."""
    rows = con.execute(
        "select net_amount_cents, net_volume, net_hours, n_lines "
        "from late.marts.fct_declarations_monthly where toewijzingnummer = 'T001'"
    ).fetchall()
    assert rows == [(80000, 6.0, 6.0, 2)]


def _columns(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, list[str]]:
    tables: dict[str, list[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_catalog = ? and table_schema = 'marts' order by table_name, ordinal_position",
        [catalog],
    ).fetchall():
        tables.setdefault(table, []).append(column)
    return tables


def test_marts_equal_a_full_rebuild_of_the_final_state(con: duckdb.DuckDBPyConnection) -> None:
    late, full = _columns(con, "late"), _columns(con, "full_state")
    assert late == full
    differing = {}
    for table, columns in late.items():
        kept = ", ".join(f'"{c}"' for c in columns if (table, c) not in VERSION_HISTORY_COLUMNS)
        a, b = f'late.marts."{table}"', f'full_state.marts."{table}"'
        only_late, only_full = (
            con.execute(
                f"select count(*) from (select {kept} from {x} except all select {kept} from {y})"
            ).fetchall()[0][0]
            for x, y in ((a, b), (b, a))
        )
        if only_late or only_full:
            differing[table] = (only_late, only_full)
    assert differing == {}


def test_version_history_is_the_only_difference(con: duckdb.DuckDBPyConnection) -> None:
    """The control for the comparison above: n_versions does differ (T001 and T005 were
    delivered twice in run A), so the excluded column is excluded for a reason."""
    rows = con.execute(
        "select l.toewijzingnummer, l.n_versions, f.n_versions from late.marts.fct_allocations l "
        "join full_state.marts.fct_allocations f using (allocation_key) "
        "where l.n_versions <> f.n_versions order by 1"
    ).fetchall()
    assert rows == [("T001", 2, 1), ("T005", 2, 1)]
