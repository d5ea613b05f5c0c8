"""Write-audit-publish (DEFINITIONS §7): the publication dbt built replaces the warehouse
atomically, or not at all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from orchestration.publish import (
    PublicationError,
    attach_publication,
    prepare_publication,
    publish_marts,
)

PEILDATUM = dt.date(2024, 1, 1)


def _publication(path: Path, n: int) -> Path:
    """A publication as dbt leaves it: the marts, and what must not be published."""
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create schema scratch")
    con.execute(f"create table marts.fct_a as select range as id from range({n})")
    con.execute("create table marts.fct_b as select 'x' as v")
    con.execute("create table marts.fct_a__dbt_tmp as select 1 as id")
    con.execute("create view marts.v_a as select * from marts.fct_a")
    con.execute("create table scratch.t as select '123456782' as bsn")
    con.execute("create schema meta")
    con.execute("create table meta.left_over as select 1 as x")
    con.close()
    return path


def test_publish_keeps_only_the_named_marts_and_metadata(tmp_path: Path) -> None:
    work = _publication(tmp_path / "next.duckdb", 3)
    wh = tmp_path / "out" / "wh.duckdb"
    result = publish_marts(work, wh, ["fct_a", "fct_b"], peildatum=PEILDATUM, run_id="r1")
    assert result.tables == {"fct_a": 3, "fct_b": 1}
    con = duckdb.connect(str(wh), read_only=True)
    tables = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables order by 1"
    ).fetchall()
    assert [t[0] for t in tables] == [
        "marts.fct_a",
        "marts.fct_b",
        "meta.checks_passed",
        "meta.increments",
        "meta.publication",
    ]
    assert con.execute("select peildatum, run_id from meta.publication").fetchall() == [
        (PEILDATUM, "r1")
    ]
    # no incremental mart among the published ones: nothing recorded to start the next from
    assert con.execute("select count(*) from meta.increments").fetchall() == [(0,)]
    assert con.execute(
        "select schema_name from duckdb_schemas() where not internal order by 1"
    ).fetchall() == [("marts",), ("meta",)]
    con.close()
    assert [p.name for p in wh.parent.iterdir()] == ["wh.duckdb"]  # no temporary file left
    assert not work.exists()  # the publication became the warehouse: nothing was copied


def test_failure_before_rename_leaves_previous_publication_byte_identical(tmp_path: Path) -> None:
    wh = tmp_path / "wh.duckdb"
    publish_marts(_publication(tmp_path / "next.duckdb", 3), wh, ["fct_a"], peildatum=PEILDATUM)
    before = wh.read_bytes()
    work = _publication(tmp_path / "next.duckdb", 4)

    def crash(_tmp: Path) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        publish_marts(work, wh, ["fct_a"], peildatum=PEILDATUM, before_rename=crash)
    assert wh.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".wh")] == []


def test_missing_mart_fails_without_touching_previous_publication(tmp_path: Path) -> None:
    wh = tmp_path / "wh.duckdb"
    publish_marts(_publication(tmp_path / "next.duckdb", 2), wh, ["fct_a"], peildatum=PEILDATUM)
    before = wh.read_bytes()
    work = _publication(tmp_path / "next.duckdb", 2)
    with pytest.raises(PublicationError, match="does_not_exist"):
        publish_marts(work, wh, ["fct_a", "does_not_exist"], peildatum=PEILDATUM)
    assert wh.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".wh")] == []
    with pytest.raises(PublicationError, match="does not exist"):
        publish_marts(tmp_path / "never-built.duckdb", wh, ["fct_a"], peildatum=PEILDATUM)
    assert wh.read_bytes() == before


def test_reader_holding_old_file_keeps_a_whole_table_during_publish(tmp_path: Path) -> None:
    wh = tmp_path / "wh.duckdb"
    publish_marts(_publication(tmp_path / "next.duckdb", 5), wh, ["fct_a"], peildatum=PEILDATUM)
    reader = duckdb.connect(str(wh), read_only=True)
    publish_marts(_publication(tmp_path / "next.duckdb", 6), wh, ["fct_a"], peildatum=PEILDATUM)
    assert reader.execute("select count(*) from marts.fct_a").fetchall() == [(5,)]
    reader.close()
    fresh = duckdb.connect(str(wh), read_only=True)
    assert fresh.execute("select count(*) from marts.fct_a").fetchall() == [(6,)]
    fresh.close()


def test_prepare_removes_an_unpublished_publication_and_marts_left_in_the_working_db(
    tmp_path: Path,
) -> None:
    stale = _publication(tmp_path / "next.duckdb", 3)
    stale.with_name(stale.name + ".wal").write_bytes(b"wal")
    work = tmp_path / "work.duckdb"
    con = duckdb.connect(str(work))
    con.execute("create schema marts; create schema raw")
    con.execute("create table marts.fct_a as select 1 as id")
    con.execute("create table raw.allocations as select '123456782' as bsn")
    con.close()
    prepare_publication(stale, work)
    assert [p.name for p in tmp_path.iterdir()] == ["work.duckdb"]
    con = duckdb.connect(str(work), read_only=True)
    assert con.execute(
        "select table_schema || '.' || table_name from information_schema.tables"
    ).fetchall() == [("raw.allocations",)]
    con.close()


def test_attached_publication_answers_for_schema_marts(tmp_path: Path) -> None:
    """The checks read `marts.<table>` on the working database: with the next publication
    attached, that is the publication's table; without one, nothing is attached."""
    folder = tmp_path / "o'clock"  # a quote in the path
    folder.mkdir()
    work = folder / "work.duckdb"
    duckdb.connect(str(work)).close()
    con = duckdb.connect(str(work), read_only=True)
    assert attach_publication(con, folder / "next.duckdb") is False
    assert attach_publication(con, _publication(folder / "next.duckdb", 4)) is True
    assert con.execute("select count(*) from marts.fct_a").fetchall() == [(4,)]
    con.close()


def test_a_mart_built_as_a_view_is_not_published(tmp_path: Path) -> None:
    wh = tmp_path / "wh.duckdb"
    publish_marts(_publication(tmp_path / "next.duckdb", 2), wh, ["fct_a"], peildatum=PEILDATUM)
    before = wh.read_bytes()
    with pytest.raises(PublicationError, match="v_a are views"):
        publish_marts(
            _publication(tmp_path / "next.duckdb", 2), wh, ["fct_a", "v_a"], peildatum=PEILDATUM
        )
    assert wh.read_bytes() == before


def test_the_checks_passed_on_the_published_file_are_recorded_with_it(tmp_path: Path) -> None:
    """A pass counts for the file it was taken on: passes of that file are published in
    meta.checks_passed, a pass taken before the file changed is not, and none outlive the
    publication (nor a new one's preparation)."""
    from orchestration.check_passes import passes_dir, record_pass
    from orchestration.publish import prepare_publication

    work = _publication(tmp_path / "next.duckdb", 3)
    record_pass(work, "stale", peildatum=PEILDATUM, gap_months=6, version="v1")
    con = duckdb.connect(str(work))
    con.execute("create table marts.fct_c as select 1 as x")  # the file changes after that pass
    con.close()
    record_pass(work, "fresh", peildatum=PEILDATUM, gap_months=6, version="v1")
    wh = tmp_path / "out" / "wh.duckdb"
    publish_marts(work, wh, ["fct_a"], peildatum=PEILDATUM)
    con = duckdb.connect(str(wh), read_only=True)
    assert con.execute("select * from meta.checks_passed").fetchall() == [
        ("fresh", "v1", PEILDATUM, 6)
    ]
    con.close()
    assert not passes_dir(work).exists()
    again = _publication(tmp_path / "next.duckdb", 2)
    record_pass(again, "fresh", peildatum=PEILDATUM, gap_months=6, version="v1")
    prepare_publication(again)
    assert not passes_dir(again).exists()
