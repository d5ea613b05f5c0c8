"""A run is a full, idempotent rebuild (README "All files are read on every run"): running
`jeugdhulp run` twice on the same input, on the same warehouse and working database, publishes
the same tables — no row doubled, the same trajectory ids.

The two runs are the first and the last run of the fault scenario in tests/test_faults.py (the
same landing folder; in between, two runs were killed, one inside dbt and one while publishing),
so this also shows that a run after a crash publishes exactly what a clean run does.
"""

from __future__ import annotations

import duckdb
import pytest

from orchestration.ingest.contract import ENTITIES
from tests.test_faults import CLIENTS, Scenario, fault_scenario

pytestmark = pytest.mark.slow

# Tables whose rows have a natural key: (table, key columns).
KEYS = {
    "fct_trajectories": ["trajectory_id"],
    "fct_segment_trajectories": ["segment_trajectory_id"],
    "fct_allocations": ["allocation_key"],
    "fct_declarations_monthly": [
        "allocation_key",
        "gemeentecode",
        "toewijzingnummer",
        "aanbieder_agb",
        "client_key",
        "productcategorie",
        "productcode",
        "period_month",
    ],
}


@pytest.fixture(scope="module")
def twice(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    return fault_scenario(tmp_path_factory)


@pytest.fixture
def both(twice: Scenario):
    """One connection with the first publication as `a` and the second as `b`."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{twice.first}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{twice.warehouse}' AS b (READ_ONLY)")
    yield con
    con.close()


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    return sorted(
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = ? and table_schema = 'marts'",
            [catalog],
        ).fetchall()
    )


def test_both_runs_publish(twice: Scenario) -> None:
    for run in (twice.first_run, twice.last_run):
        assert run["returncode"] == 0, run["stderr"]
        assert run["report"]["published"] is True


def test_second_run_publishes_the_same_tables(both: duckdb.DuckDBPyConnection) -> None:
    assert _tables(both, "a") == _tables(both, "b")
    assert "fct_trajectories" in _tables(both, "a")


def test_every_published_table_has_the_same_rows_after_a_second_run(
    both: duckdb.DuckDBPyConnection,
) -> None:
    """Compared as multisets of rows (EXCEPT ALL both ways), not as bytes."""
    differing = {}
    for table in _tables(both, "a"):
        a, b = f'a.marts."{table}"', f'b.marts."{table}"'
        only_a = both.execute(
            f"select count(*) from (select * from {a} except all select * from {b})"
        ).fetchall()[0][0]
        only_b = both.execute(
            f"select count(*) from (select * from {b} except all select * from {a})"
        ).fetchall()[0][0]
        if only_a or only_b:
            differing[table] = (only_a, only_b)
    assert differing == {}


def test_no_published_row_is_doubled(both: duckdb.DuckDBPyConnection) -> None:
    for table, key in KEYS.items():
        columns = ", ".join(key)
        total, distinct = both.execute(
            f"select count(*), count(distinct ({columns})) from b.marts.{table}"
        ).fetchall()[0]
        assert total == distinct > 0, table


def test_trajectory_ids_are_stable_across_runs(both: duckdb.DuckDBPyConnection) -> None:
    ids = [
        {
            r[0]
            for r in both.execute(
                f"select trajectory_id from {c}.marts.fct_trajectories"
            ).fetchall()
        }
        for c in ("a", "b")
    ]
    assert ids[0] == ids[1] and len(ids[0]) > CLIENTS / 2


def test_publication_metadata_matches_apart_from_the_run(
    both: duckdb.DuckDBPyConnection,
) -> None:
    a, b = (
        both.execute(
            f"select peildatum, table_row_counts, run_id from {c}.meta.publication"
        ).fetchall()
        for c in ("a", "b")
    )
    assert a[0][:2] == b[0][:2]
    assert a[0][2] != b[0][2]


def test_second_run_replaces_the_raw_layer_instead_of_appending(twice: Scenario) -> None:
    first, last = (run["report"]["files"] for run in (twice.first_run, twice.last_run))
    assert first == last
    loaded = sum(f["rows_loaded"] for f in last)
    con = duckdb.connect(str(twice.working_db), read_only=True)
    try:
        in_raw = sum(
            con.execute(f"select count(*) from raw.{t}").fetchall()[0][0]
            for t in ENTITIES  # every entity of the landing folder has its raw table
        )
    finally:
        con.close()
    assert in_raw == loaded
