"""Write-audit-publish (DEFINITIONS §7): the warehouse is replaced atomically or not at all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from orchestration.publish import publish_marts

PEILDATUM = dt.date(2024, 1, 1)


def _working_db(path: Path, n: int) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create schema raw")
    con.execute(f"create table marts.fct_a as select range as id from range({n})")
    con.execute("create table marts.fct_b as select 'x' as v")
    con.execute("create table raw.allocations as select '123456782' as bsn")
    con.close()
    return path


def test_publish_copies_only_the_named_marts_and_metadata(tmp_path: Path) -> None:
    work = _working_db(tmp_path / "work.duckdb", 3)
    wh = tmp_path / "out" / "wh.duckdb"
    result = publish_marts(work, wh, ["fct_a", "fct_b"], peildatum=PEILDATUM, run_id="r1")
    assert result.tables == {"fct_a": 3, "fct_b": 1}
    con = duckdb.connect(str(wh), read_only=True)
    tables = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables order by 1"
    ).fetchall()
    assert [t[0] for t in tables] == ["marts.fct_a", "marts.fct_b", "meta.publication"]
    assert con.execute("select peildatum, run_id from meta.publication").fetchall() == [
        (PEILDATUM, "r1")
    ]
    con.close()
    assert [p.name for p in wh.parent.iterdir()] == ["wh.duckdb"]  # no temporary file left


def test_failure_before_rename_leaves_previous_publication_byte_identical(tmp_path: Path) -> None:
    work = _working_db(tmp_path / "work.duckdb", 3)
    wh = tmp_path / "wh.duckdb"
    publish_marts(work, wh, ["fct_a"], peildatum=PEILDATUM)
    before = wh.read_bytes()

    con = duckdb.connect(str(work))
    con.execute("insert into marts.fct_a select 99")
    con.close()

    def crash(_tmp: Path) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        publish_marts(work, wh, ["fct_a"], peildatum=PEILDATUM, before_rename=crash)
    assert wh.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".wh")] == []


def test_missing_mart_fails_without_touching_previous_publication(tmp_path: Path) -> None:
    work = _working_db(tmp_path / "work.duckdb", 2)
    wh = tmp_path / "wh.duckdb"
    publish_marts(work, wh, ["fct_a"], peildatum=PEILDATUM)
    before = wh.read_bytes()
    with pytest.raises(duckdb.Error):
        publish_marts(work, wh, ["fct_a", "does_not_exist"], peildatum=PEILDATUM)
    assert wh.read_bytes() == before


def test_reader_holding_old_file_keeps_a_whole_table_during_publish(tmp_path: Path) -> None:
    work = _working_db(tmp_path / "work.duckdb", 5)
    wh = tmp_path / "wh.duckdb"
    publish_marts(work, wh, ["fct_a"], peildatum=PEILDATUM)
    reader = duckdb.connect(str(wh), read_only=True)
    con = duckdb.connect(str(work))
    con.execute("insert into marts.fct_a select 100")
    con.close()
    publish_marts(work, wh, ["fct_a"], peildatum=PEILDATUM)
    assert reader.execute("select count(*) from marts.fct_a").fetchall() == [(5,)]
    reader.close()
    fresh = duckdb.connect(str(wh), read_only=True)
    assert fresh.execute("select count(*) from marts.fct_a").fetchall() == [(6,)]
    fresh.close()
