"""The nightly benchmark compares a night with a full rebuild, and reports from the night's log whether it started from the published
fact and how many months it recomputed (benchmarks/nightly.py increment_lines)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import duckdb

from benchmarks.nightly import compare_databases, increment_lines

LOG = """\
2026-11-24 01:31:04 +0000 - dagster - INFO - jeugdhulp_pipeline - 1 - landing_ingest - raw.declarations updated in place: 12 rows deleted, 733215 inserted
2026-11-24 01:30:00 +0000 - dagster - INFO - jeugdhulp_pipeline - 1 - jeugdhulp_dbt_assets - the next publication starts from the published fct_declarations_monthly
fct_declarations_monthly: 1 of 72 months changed since the published mart; recomputing those, keeping the rest
row count of model.jeugdhulp.fct_declarations_monthly: 1850607
"""


def test_the_night_says_what_it_started_from_and_what_it_recomputed(tmp_path: Path) -> None:
    log = tmp_path / "nightly.log"
    log.write_text(LOG)
    assert increment_lines(SimpleNamespace(log=log)) == [  # type: ignore[arg-type]
        "raw.declarations updated in place: 12 rows deleted, 733215 inserted",
        "the next publication starts from the published fct_declarations_monthly",
        "fct_declarations_monthly: 1 of 72 months changed since the published mart; "
        "recomputing those, keeping the rest",
    ]


def test_a_run_without_log_says_nothing() -> None:
    assert increment_lines(SimpleNamespace(log=None)) == []  # type: ignore[arg-type]


def _working_db(path: Path, ids: dict[str, int], lines: list[tuple[str, str]]) -> Path:
    """A working database with raw.clients numbered `ids` and lines (number, client_key)."""
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw.clients (client_id INTEGER, client_key VARCHAR)")
    con.executemany("INSERT INTO raw.clients VALUES (?, ?)", [(i, k) for k, i in ids.items()])
    con.execute("CREATE TABLE raw.declarations (declaratienummer VARCHAR, client_id INTEGER)")
    con.executemany("INSERT INTO raw.declarations VALUES (?, ?)", [(n, ids[k]) for n, k in lines])
    con.close()
    return path


def test_raw_tables_compare_clients_by_key_not_by_id(tmp_path: Path) -> None:
    """A night numbers a new client after the known ones, a full rebuild in key order: the
    same rows. A line of another client is a difference, whatever the ids."""
    lines = [("D1", "aaa"), ("D2", "bbb")]
    night = _working_db(tmp_path / "night.duckdb", {"bbb": 1, "aaa": 2}, lines)
    rebuild = _working_db(tmp_path / "rebuild.duckdb", {"aaa": 1, "bbb": 2}, lines)
    assert compare_databases(night, rebuild, "raw") == {"clients": (0, 0), "declarations": (0, 0)}
    other = _working_db(
        tmp_path / "other.duckdb", {"aaa": 1, "bbb": 2}, [("D1", "bbb"), ("D2", "bbb")]
    )
    assert compare_databases(night, other, "raw")["declarations"] == (1, 1)


def test_late_credits_of_the_months_before_the_cutoff_arrive_with_the_night(
    tmp_path: Path,
) -> None:
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    from benchmarks.nightly import late_credit_start, split_delivery
    from orchestration.config import GENERATED_MARKER

    landing = tmp_path / "landing"
    for entity in ("allocations", "declarations"):
        (landing / entity).mkdir(parents=True)
    (landing / GENERATED_MARKER).write_text("{}")
    pq.write_table(
        pa.table({"dagtekening": ["2025-11-03", "2025-12-02"]}),
        landing / "allocations" / "2025-part-0000.parquet",
    )
    lines = [  # (number, debet_credit, begindatum)
        ("D1", "D", "2025-08-01"),
        ("C1", "C", "2025-08-01"),  # before the late months: history
        ("D2", "D", "2025-09-01"),
        ("C2", "C", "2025-09-01"),  # late
        ("C3", "C", "2025-11-01"),  # late
        ("D4", "D", "2025-12-01"),  # the new month
    ]
    pq.write_table(
        pa.table(
            {
                "declaratienummer": [n for n, _, _ in lines],
                "debet_credit": [c for _, c, _ in lines],
                "begindatum": [b for _, _, b in lines],
            }
        ),
        landing / "declarations" / "2025-part-0000.parquet",
    )
    cutoff = dt.date(2025, 12, 1)
    assert late_credit_start(cutoff, 3) == dt.date(2025, 9, 1)
    assert late_credit_start(dt.date(2026, 2, 1), 3) == dt.date(2025, 11, 1)

    def numbers(folder: Path) -> list[str]:
        return sorted(pq.read_table(folder / "declarations").column("declaratienummer").to_pylist())

    split = split_delivery(landing, tmp_path / "late", cutoff, 3)
    assert split == {"base": 4, "month": 4, "late_credits": 2}
    assert numbers(tmp_path / "late" / "base") == ["C1", "D1", "D2"]
    assert numbers(tmp_path / "late" / "month") == ["C2", "C3", "D4"]
    plain = split_delivery(landing, tmp_path / "plain", cutoff)
    assert plain == {"base": 6, "month": 2, "late_credits": 0}
    assert numbers(tmp_path / "plain" / "month") == ["D4"]
