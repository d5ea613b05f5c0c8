"""Parquet export of the published marts: one file per table, written atomically, stale removed."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from orchestration.export import MANIFEST_NAME, ExportError, export_warehouse


def _warehouse(path: Path, tables: dict[str, str]) -> Path:
    """A published warehouse: `marts.<name> AS <select>` for each table, plus meta.publication."""
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create schema meta")
    for name, select in tables.items():
        con.execute(f"create table marts.{name} as {select}")
    con.execute(
        """create table meta.publication as select date '2025-03-01' as peildatum,
           timestamp '2025-03-02 01:02:03' as published_at, 'run-1' as run_id,
           '{}' as table_row_counts"""
    )
    con.close()
    return path


def test_every_marts_table_becomes_one_parquet_file_with_its_rows(tmp_path: Path) -> None:
    wh = _warehouse(
        tmp_path / "wh.duckdb",
        {
            "fct_trajectories": "select * from (values ('t1', '0153', date '2024-01-05'), "
            "('t2', '0164', null)) v(trajectory_id, gemeentecode, start_date)",
            "dim_indicators": "select 'recidive' as indicator_code, 'opnieuw in zorg' as name_nl",
        },
    )
    out = tmp_path / "export"

    written = export_warehouse(wh, out)

    assert written == {
        "dim_indicators": out / "dim_indicators.parquet",
        "fct_trajectories": out / "fct_trajectories.parquet",
    }
    table = pq.read_table(out / "fct_trajectories.parquet")
    assert table.column_names == ["trajectory_id", "gemeentecode", "start_date"]
    assert table.to_pylist() == [
        {"trajectory_id": "t1", "gemeentecode": "0153", "start_date": dt.date(2024, 1, 5)},
        {"trajectory_id": "t2", "gemeentecode": "0164", "start_date": None},
    ]
    assert pq.read_table(out / "dim_indicators.parquet").num_rows == 1


def test_meta_schema_is_not_exported_but_recorded_in_the_manifest(tmp_path: Path) -> None:
    wh = _warehouse(tmp_path / "wh.duckdb", {"fct_a": "select range as id from range(3)"})
    out = tmp_path / "export"

    export_warehouse(wh, out)

    assert sorted(p.name for p in out.iterdir()) == [MANIFEST_NAME, "fct_a.parquet"]
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert manifest["tables"] == {"fct_a": 3}
    assert manifest["publication"] == {
        "peildatum": "2025-03-01",
        "published_at": "2025-03-02T01:02:03",
        "run_id": "run-1",
    }


def test_reexport_replaces_files_and_removes_tables_no_longer_published(tmp_path: Path) -> None:
    wh = tmp_path / "wh.duckdb"
    out = tmp_path / "export"
    _warehouse(wh, {"fct_a": "select 1 as id", "fct_old": "select 1 as id"})
    export_warehouse(wh, out)
    (out / "analyst_notes.parquet").write_bytes(b"not ours")

    _warehouse(wh, {"fct_a": "select range as id from range(5)"})
    written = export_warehouse(wh, out)

    assert list(written) == ["fct_a"]
    assert pq.read_table(out / "fct_a.parquet").num_rows == 5
    assert not (out / "fct_old.parquet").exists()
    # a file the export did not write is left alone
    assert (out / "analyst_notes.parquet").read_bytes() == b"not ours"


def test_no_temporary_file_is_left_behind(tmp_path: Path) -> None:
    wh = _warehouse(tmp_path / "wh.duckdb", {"fct_a": "select 1 as id"})
    out = tmp_path / "export"

    export_warehouse(wh, out)

    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


def test_failed_write_keeps_the_previous_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wh = _warehouse(tmp_path / "wh.duckdb", {"fct_a": "select 1 as id"})
    out = tmp_path / "export"
    export_warehouse(wh, out)
    before = (out / "fct_a.parquet").read_bytes()
    _warehouse(wh, {"fct_a": "select range as id from range(10)"})

    def failing_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        export_warehouse(wh, out)

    assert (out / "fct_a.parquet").read_bytes() == before
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


def test_export_opens_the_warehouse_read_only_so_a_reader_may_hold_it(tmp_path: Path) -> None:
    wh = _warehouse(tmp_path / "wh.duckdb", {"fct_a": "select 1 as id"})
    analyst = duckdb.connect(str(wh), read_only=True)
    try:
        written = export_warehouse(wh, tmp_path / "export")
    finally:
        analyst.close()
    assert list(written) == ["fct_a"]


def test_missing_warehouse_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="does not exist"):
        export_warehouse(tmp_path / "nope.duckdb", tmp_path / "export")
    assert not (tmp_path / "export").exists()


def test_database_without_marts_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "work.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema raw; create table raw.allocations as select '123456782' as bsn")
    con.close()

    with pytest.raises(ExportError, match="no tables in schema marts"):
        export_warehouse(path, tmp_path / "export")
